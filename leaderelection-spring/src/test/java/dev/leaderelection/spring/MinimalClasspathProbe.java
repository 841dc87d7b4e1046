package dev.leaderelection.spring;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * An application run by {@link MinimalClasspathTest} in a class loader that lacks the optional
 * libraries; loaded there, so it must not touch them.
 */
public final class MinimalClasspathProbe {
  private MinimalClasspathProbe() {}

  /** The application. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  @EnableScheduling
  static class App {
    @Bean
    Job job() {
      return new Job();
    }
  }

  /** A leader-only job. */
  static class Job {
    final AtomicInteger runs = new AtomicInteger();

    @Scheduled(fixedDelay = 20)
    @LeaderOnly
    void work() {
      runs.incrementAndGet();
    }
  }

  /**
   * Runs the application in local mode until its leader-only job ran twice.
   *
   * @return a summary: whether it led, and the leader election beans it had
   * @throws InterruptedException if interrupted
   */
  public static String run() throws InterruptedException {
    try (ConfigurableApplicationContext ctx =
        new SpringApplicationBuilder(App.class)
            .web(WebApplicationType.NONE)
            .bannerMode(Banner.Mode.OFF)
            .properties(
                "spring.application.name=probe",
                "leaderelection.mode=local",
                "spring.main.register-shutdown-hook=false")
            .run()) {
      LeaderElection e = ctx.getBean(LeaderElection.class);
      boolean led = e.awaitLeadership(Duration.ofSeconds(10)).isPresent();
      Job proxy = ctx.getBean(Job.class); // @LeaderOnly proxies it; its fields are the target's
      Object target = org.springframework.aop.framework.AopProxyUtils.getSingletonTarget(proxy);
      Job job = target instanceof Job t ? t : proxy;
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (job.runs.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10); // a probe in a foreign class loader: no awaitility here
      }
      String[] beans =
          Arrays.stream(ctx.getBeanDefinitionNames())
              .filter(
                  n -> {
                    String lower = n.toLowerCase(java.util.Locale.ROOT);
                    return lower.contains("leader") || lower.contains("lease");
                  })
              .sorted()
              .toArray(String[]::new);
      return "led="
          + led
          + " jobRuns>=2="
          + (job.runs.get() >= 2)
          + " beans="
          + String.join(",", beans);
    }
  }
}
