/**
 * Lease-based leader election: the engine ({@link dev.leaderelection.core.LeaderElector}), its
 * configuration, callbacks, and the {@link dev.leaderelection.core.LeaseLock} backend SPI.
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li><b>Hard step-down bound.</b> A term of leadership is valid only until the start of its last
 *       successful renewal plus {@code renewDeadline}, on the monotonic clock. At that instant the
 *       term ends, its cancellation signal fires and {@code onStoppedLeading} is scheduled, whether
 *       or not a call to the backend is still hanging. {@link
 *       dev.leaderelection.core.LeaderElector#isLeader()} answers from that window, so a process
 *       that was frozen answers {@code false} the moment it resumes.
 *   <li><b>No overlap between processes that keep the rules.</b> Others wait {@code leaseDuration}
 *       (the record's own value) from the moment they saw the record last change, and {@code
 *       leaseDuration > renewDeadline}, so a term ends before anyone else may take over, provided
 *       the two monotonic clocks run at about the same rate (offset does not matter).
 *   <li><b>Fencing token.</b> Each term carries the store's version of the write that began it (a
 *       Kubernetes {@code resourceVersion}): it grows with every new term, also across a deleted
 *       and re-created Lease and between processes that share an identity, and never names two
 *       terms.
 *   <li><b>One identity, one process.</b> A record naming this identity but none of this elector's
 *       terms is another process's: the elector does not lead on it, and reports it as an ERROR.
 *   <li><b>Callbacks in pairs,</b> one at a time per elector, on the callback executor, never on
 *       the scheduler thread: every {@code onStartedLeading} is followed by exactly one {@code
 *       onStoppedLeading}; there is no stop without a start.
 *   <li><b>Work never blocks the election.</b> Renewals run on the scheduler; callbacks on their
 *       own executor.
 * </ul>
 *
 * <h2>Non-guarantees</h2>
 *
 * <ul>
 *   <li>Leadership can end at any moment; code acting as leader must check {@link
 *       dev.leaderelection.core.Leadership#isValid()} or fence its writes with the token. Nothing
 *       stops a thread that ignores the cancellation signal.
 *   <li>Safety needs every contender to follow the same rules; a writer that ignores them (a
 *       hand-edit, another tool) can take the Lease at any time. The old leader notices at its next
 *       renewal, at most {@code retryPeriod} later.
 *   <li>Clock <em>rate</em> differences eat into the margin {@code leaseDuration - renewDeadline}.
 *   <li>A Lease deleted by someone else is taken as free by a candidate that never saw its holder;
 *       the deposed leader stops at its next renewal, so the two terms overlap by up to {@code
 *       retryPeriod} plus one call. Their tokens still order them.
 * </ul>
 */
@NullMarked
package dev.leaderelection.core;

import org.jspecify.annotations.NullMarked;
