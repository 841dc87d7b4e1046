package dev.leaderelection.examples.springworker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A Spring Boot service of which one replica at a time does the work. Everything about leader
 * election comes from {@code leaderelection-spring} and {@code application.yaml}: the election
 * itself, {@code @LeaderOnly} on the scheduled job ({@link FencedReportJob}), the {@code
 * leaderElection} health indicator and the {@code leaderelection.*} meters.
 */
@SpringBootApplication
@EnableScheduling
public class SpringBootWorker {

  /**
   * Runs the service.
   *
   * @param args Spring Boot arguments, such as {@code --leaderelection.lease-duration=4s}
   */
  public static void main(String[] args) {
    SpringApplication.run(SpringBootWorker.class, args);
  }
}
