package dev.leaderelection.spring;

import java.util.ArrayList;
import java.util.List;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.integration.leader.event.AbstractLeaderEvent;

/**
 * Records the leader election events (and Spring Integration's) of one context, with what {@link
 * LeaderElection#isLeader()} answered while each was handled.
 */
final class EventRecorder implements ApplicationListener<ApplicationEvent> {

  /** One event as seen by a listener. */
  record Seen(ApplicationEvent event, boolean leaderWhileHandled) {
    String describe() {
      if (event instanceof NewLeaderEvent n) {
        return "new-leader:" + (n.isSelf() ? "self" : "other");
      }
      if (event instanceof LeaderGrantedEvent) {
        return "granted";
      }
      if (event instanceof LeaderRevokedEvent r) {
        return "revoked:" + r.reason();
      }
      return event.getClass().getSimpleName();
    }
  }

  private final List<Seen> seen = new ArrayList<>();

  @Override
  public void onApplicationEvent(ApplicationEvent event) {
    boolean leader;
    if (event instanceof LeaderElectionEvent e) {
      leader = e.election().isLeader();
    } else if (isIntegrationEvent(event)) {
      leader = ((AbstractLeaderEvent) event).getContext().isLeader();
    } else {
      return;
    }
    synchronized (this) {
      seen.add(new Seen(event, leader));
    }
  }

  private static boolean isIntegrationEvent(ApplicationEvent event) {
    try {
      return event instanceof AbstractLeaderEvent;
    } catch (NoClassDefFoundError e) {
      return false;
    }
  }

  synchronized List<Seen> all() {
    return List.copyOf(seen);
  }

  /** {@return the leader election events of {@code election}, described} */
  synchronized List<String> of(String election) {
    List<String> out = new ArrayList<>();
    for (Seen s : seen) {
      if (s.event() instanceof LeaderElectionEvent e && e.electionName().equals(election)) {
        out.add(s.describe());
      }
    }
    return out;
  }

  synchronized <T extends ApplicationEvent> List<T> ofType(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Seen s : seen) {
      if (type.isInstance(s.event())) {
        out.add(type.cast(s.event()));
      }
    }
    return out;
  }
}
