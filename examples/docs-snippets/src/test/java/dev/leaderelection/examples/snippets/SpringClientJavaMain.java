package dev.leaderelection.examples.snippets;

import dev.leaderelection.spring.LeaderElection;
import java.time.Duration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot application on the starter's client-java dependency set (fabric8 excluded): leads a
 * Lease through client-java. Run by {@link SpringClientJavaDependencySetIT} against a real API
 * server.
 */
@SpringBootApplication
public class SpringClientJavaMain {
  public static void main(String[] args) throws Exception {
    try (ConfigurableApplicationContext context =
        SpringApplication.run(SpringClientJavaMain.class, args)) {
      LeaderElection election = context.getBean(LeaderElection.class);
      long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!election.isLeader() && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      System.out.println(election.isLeader() ? "spring app leads" : "spring app did not lead");
    }
  }
}
