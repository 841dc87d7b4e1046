package dev.leaderelection.examples.snippets.spring;

// tag::spring-minimal-app[]
import dev.leaderelection.spring.LeaderOnly;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

@SpringBootApplication
@EnableScheduling // @Scheduled methods, @LeaderOnly ones included, run only with it
public class MinimalApplication {
  public static void main(String[] args) {
    SpringApplication.run(MinimalApplication.class, args);
  }
}

@Component
class Reports {
  @Scheduled(fixedDelay = 60_000)
  @LeaderOnly // runs on the instance that leads; skipped on the others
  void sendDailyReport() {
    // ...
  }
}
// end::spring-minimal-app[]
