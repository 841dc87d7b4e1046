package dev.leaderelection.examples.snippets;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.Leadership;

/** Snippets of docs/timing-and-safety.md. Compiled, never run. */
@SuppressWarnings("unused")
final class FencingSnippets {

  interface Store {
    /** Writes only if {@code token} is not lower than the highest token the store has seen. */
    boolean writeIfTokenAtLeast(long token, String key, String value);
  }

  // tag::fencing[]
  final class Reconciler implements LeaderCallbacks {
    private final Store store;

    Reconciler(Store store) {
      this.store = store;
    }

    @Override
    public void onStartedLeading(Leadership leadership) {
      long token = leadership.fencingToken();
      // Runs on the callback thread; blocking here never delays renewals.
      while (leadership.isValid()) { // false at the deadline, even after a GC pause
        String next = computeNextValue();
        // The store rejects the write if a newer term has written meanwhile.
        if (!store.writeIfTokenAtLeast(token, "state", next)) {
          return; // fenced off: a newer leader exists
        }
        sleepUntilNextRoundOr(leadership);
      }
    }
  }

  // end::fencing[]

  String computeNextValue() {
    return "";
  }

  void sleepUntilNextRoundOr(Leadership leadership) {
    try {
      leadership.ended().toCompletableFuture().get(1, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // next round
    }
  }
}
