package dev.leaderelection.examples.snippets.spring;

import dev.leaderelection.spring.LeaderOnly;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

// tag::spring-leader-only[]
@Component
class Cleanup {
  @Scheduled(fixedDelay = 60_000)
  @LeaderOnly // runs on the leader only; skipped on the others
  void purgeExpiredSessions() {
    // ...
  }
}
// end::spring-leader-only[]
