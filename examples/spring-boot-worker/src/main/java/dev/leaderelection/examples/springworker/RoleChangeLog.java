package dev.leaderelection.examples.springworker;

import dev.leaderelection.spring.LeaderGrantedEvent;
import dev.leaderelection.spring.LeaderRevokedEvent;
import dev.leaderelection.spring.NewLeaderEvent;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Logs role changes as {@code EVENT} lines ({@code t} is {@link System#nanoTime()}), from the
 * starter's application events.
 */
@Component
public class RoleChangeLog {
  private static final Logger log = LoggerFactory.getLogger(RoleChangeLog.class);

  /**
   * This process became leader; {@code isLeader()} is already true.
   *
   * @param event the event
   */
  @EventListener
  public void onGranted(LeaderGrantedEvent event) {
    log.info(
        "EVENT t={} id={} event=started-leading token={}",
        System.nanoTime(),
        event.election().identity(),
        event.leadership().fencingToken());
  }

  /**
   * This process stopped leading.
   *
   * @param event the event
   */
  @EventListener
  public void onRevoked(LeaderRevokedEvent event) {
    log.info(
        "EVENT t={} id={} event=stopped-leading token={} reason={}",
        System.nanoTime(),
        event.election().identity(),
        event.leadership().fencingToken(),
        event.reason().name().toLowerCase(Locale.ROOT));
  }

  /**
   * Another (or this) process was seen leading.
   *
   * @param event the event
   */
  @EventListener
  public void onNewLeader(NewLeaderEvent event) {
    log.info(
        "EVENT t={} id={} event=new-leader leader={}",
        System.nanoTime(),
        event.election().identity(),
        event.leader());
  }
}
