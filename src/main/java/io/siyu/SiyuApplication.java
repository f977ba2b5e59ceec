package io.siyu;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

// Lettuce's per-command observation (a Micrometer observation around every Redis command) cost a fifth of
// the Redis I/O thread on the callback path; Siyu measures its Redis work through its own meters.
@SpringBootApplication(excludeName = "org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration")
@ConfigurationPropertiesScan
@EnableScheduling
public class SiyuApplication {

  public static void main(String[] args) {
    SpringApplication.run(SiyuApplication.class, args);
  }
}
