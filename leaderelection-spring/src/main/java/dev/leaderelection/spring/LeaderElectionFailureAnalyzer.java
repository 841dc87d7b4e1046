package dev.leaderelection.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Shows why leader election could not start, and what to do, instead of a stack trace. */
final class LeaderElectionFailureAnalyzer
    extends AbstractFailureAnalyzer<LeaderElectionStartupException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, LeaderElectionStartupException cause) {
    return new FailureAnalysis(cause.description(), cause.action(), cause);
  }
}
