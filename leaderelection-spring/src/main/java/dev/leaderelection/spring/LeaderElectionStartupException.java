package dev.leaderelection.spring;

import org.jspecify.annotations.Nullable;

/**
 * Leader election cannot start: a setting is missing or invalid, or this process lacks the RBAC
 * permissions it needs. Carries what is wrong and what to do; {@link LeaderElectionFailureAnalyzer}
 * shows both when the application fails to start.
 */
final class LeaderElectionStartupException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String description;
  private final String action;

  LeaderElectionStartupException(String description, String action) {
    this(description, action, null);
  }

  LeaderElectionStartupException(String description, String action, @Nullable Throwable cause) {
    super(description + System.lineSeparator() + "Action: " + action, cause);
    this.description = description;
    this.action = action;
  }

  /** {@return what is wrong} */
  String description() {
    return description;
  }

  /** {@return what to do about it} */
  String action() {
    return action;
  }
}
