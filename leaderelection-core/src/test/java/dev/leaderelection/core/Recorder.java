package dev.leaderelection.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Records callbacks and listener events as strings, in the order they happen. */
final class Recorder implements LeaderCallbacks {
  final List<String> callbacks = Collections.synchronizedList(new ArrayList<>());
  final List<Leadership> ended = Collections.synchronizedList(new ArrayList<>());
  final List<Leadership> acquired = Collections.synchronizedList(new ArrayList<>());

  @Override
  public void onStartedLeading(Leadership leadership) {
    callbacks.add("start:" + leadership.fencingToken());
  }

  @Override
  public void onStoppedLeading(Leadership leadership) {
    callbacks.add("stop:" + leadership.fencingToken());
  }

  @Override
  public void onNewLeader(String identity) {
    callbacks.add("leader:" + identity);
  }

  /** The listener side: records the terms as the engine reports them. */
  final LeaderElectionListener listener =
      new LeaderElectionListener() {
        @Override
        public void onLeadershipAcquired(Leadership leadership) {
          acquired.add(leadership);
        }

        @Override
        public void onLeadershipEnded(Leadership leadership, Leadership.EndReason reason) {
          ended.add(leadership);
        }
      };

  List<String> startsAndStops() {
    return callbacks.stream().filter(c -> !c.startsWith("leader:")).toList();
  }
}
