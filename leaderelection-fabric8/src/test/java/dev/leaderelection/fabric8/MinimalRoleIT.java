package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.T;
import static dev.leaderelection.fabric8.It.await;
import static dev.leaderelection.fabric8.It.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElectionListener.Operation;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The minimal Role of docs/operations.md#rbac, taken from that page (its YAML, and its {@code
 * kubectl} commands run with the real {@code kubectl}), on the real API server: an identity holding
 * exactly that Role elects, hands over through the watch and releases; it does so without the
 * {@code create} rule on a pre-created Lease; and it is refused ({@link Reason#FORBIDDEN}) on every
 * other Lease of the namespace.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class MinimalRoleIT {
  /** The page the rules come from, relative to this module. */
  private static final Path OPERATIONS = Path.of("..", "docs", "operations.md");

  /**
   * Without a watch a follower polls every retryPeriod × [1, 2.2) = 2 to 4.4 s; the bounds below
   * are chosen so that only a working watch meets them.
   */
  private static final LeaderElectionConfig CONFIG =
      LeaderElectionConfig.builder()
          .leaseDuration(Duration.ofSeconds(8))
          .renewDeadline(Duration.ofSeconds(5))
          .retryPeriod(Duration.ofSeconds(2))
          .build();

  private static final String LEASE = "app";
  private static final String SA = "elector";

  private final LocalControlPlane cp;
  private final KubernetesClient admin;
  private final List<Candidate> candidates = new ArrayList<>();
  private final List<KubernetesClient> clients = new ArrayList<>();
  private String ns = "";

  MinimalRoleIT(LocalControlPlane cp) {
    this.cp = cp;
    this.admin = cp.adminClient();
  }

  @BeforeEach
  void namespace() {
    ns = cp.createUniqueNamespace("minimal-role");
  }

  @AfterEach
  void closeAll() {
    candidates.forEach(Candidate::close);
    clients.forEach(KubernetesClient::close);
  }

  // ---- the rules, from the docs -----------------------------------------------------------------

  /**
   * The fenced block after {@code <!-- minimal-role: NAME -->} in operations.md, dedented, with the
   * page's example names replaced by this test's.
   */
  private static List<String> block(String name, String namespace, String lease, String sa)
      throws IOException {
    List<String> lines = Files.readAllLines(OPERATIONS, StandardCharsets.UTF_8);
    String marker = "<!-- minimal-role: " + name + " -->";
    int at = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).trim().equals(marker)) {
        assertThat(at).as("%s appears twice in %s", marker, OPERATIONS).isEqualTo(-1);
        at = i;
      }
    }
    assertThat(at).as("%s in %s", marker, OPERATIONS.toAbsolutePath()).isNotNegative();
    int open = at + 1;
    while (lines.get(open).isBlank()) {
      open++;
    }
    String fence = lines.get(open);
    assertThat(fence.trim()).as("a code block after %s", marker).startsWith("```");
    int indent = fence.length() - fence.stripLeading().length();
    List<String> out = new ArrayList<>();
    for (int i = open + 1; !lines.get(i).trim().equals("```"); i++) {
      String l = lines.get(i);
      out.add(
          (l.isBlank() ? "" : l.substring(indent))
              .replace("my-namespace", namespace)
              .replace("my-lease", lease)
              .replace("my-app", sa));
    }
    assertThat(out).as("the block after %s", marker).isNotEmpty();
    return out;
  }

  /** Runs the documented kubectl commands of block {@code name} with the real kubectl. */
  private void runKubectl(String name, String namespace, String lease, String sa)
      throws IOException {
    for (String line : block(name, namespace, lease, sa)) {
      List<String> words = Arrays.asList(line.trim().split("\\s+"));
      assertThat(words.get(0)).as("a command in block %s", name).isEqualTo("kubectl");
      System.err.println("[minimal-role] " + line);
      cp.kubectl(words.subList(1, words.size()));
    }
  }

  /** Applies the documented YAML of block {@code name} with the admin client. */
  private void applyYaml(String name, String namespace, String lease, String sa)
      throws IOException {
    String yaml = String.join("\n", block(name, namespace, lease, sa));
    HasMetadata o = admin.getKubernetesSerialization().unmarshal(yaml);
    admin.resource(o).fieldManager("minimal-role-it").serverSideApply();
  }

  /** Every (resource, name, verb) the namespace's Roles allow on Leases, {@code *}: any name. */
  private Set<String> leaseGrants(String namespace) {
    Set<String> out = new TreeSet<>();
    for (Role role : admin.rbac().roles().inNamespace(namespace).list().getItems()) {
      for (PolicyRule r : role.getRules()) {
        assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
        assertThat(r.getResources()).containsExactly("leases");
        List<String> names = r.getResourceNames().isEmpty() ? List.of("*") : r.getResourceNames();
        for (String n : names) {
          for (String v : r.getVerbs()) {
            out.add("leases/" + n + ":" + v);
          }
        }
      }
    }
    return out;
  }

  private void bindYamlRole(String namespace) {
    admin
        .rbac()
        .roleBindings()
        .inNamespace(namespace)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("leader-election")
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName("leader-election-" + LEASE) // the documented Role's name
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(SA)
                .withNamespace(namespace)
                .endSubject()
                .build())
        .create();
  }

  private KubernetesClient identity() {
    KubernetesClient c = cp.serviceAccountClient(ns, SA);
    clients.add(c);
    return c;
  }

  // ---- the tests --------------------------------------------------------------------------------

  @Test
  void theDocumentedCommandsAreWordForWordTheOnesTheLibraryPrints() throws IOException {
    assertThat(block("kubectl", "ns", "my-lease", "sa"))
        .isEqualTo(LeaseRbac.kubectl("ns", "my-lease", "system:serviceaccount:ns:sa"));
    assertThat(block("drop-create", "ns", "my-lease", "sa"))
        .containsExactly(LeaseRbac.kubectlDropCreate("ns", "my-lease"));
  }

  @Test
  void theDocumentedYamlAndKubectlCommandsGrantTheSameNameRestrictedRules() throws IOException {
    String other = cp.createUniqueNamespace("minimal-role-yaml");
    runKubectl("kubectl", ns, LEASE, SA);
    applyYaml("yaml", other, LEASE, SA);
    Set<String> expected =
        Set.of(
            "leases/app:get",
            "leases/app:update",
            "leases/app:list",
            "leases/app:watch",
            "leases/*:create");
    assertThat(leaseGrants(ns)).as("from the kubectl commands").isEqualTo(expected);
    assertThat(leaseGrants(other)).as("from the YAML").isEqualTo(expected);
    // The kubectl commands also bind the Roles to the ServiceAccount, and drop-create undoes the
    // create part.
    assertThat(admin.rbac().roleBindings().inNamespace(ns).list().getItems())
        .allSatisfy(
            b ->
                assertThat(b.getSubjects())
                    .singleElement()
                    .satisfies(
                        s -> {
                          assertThat(s.getKind()).isEqualTo("ServiceAccount");
                          assertThat(s.getName()).isEqualTo(SA);
                          assertThat(s.getNamespace()).isEqualTo(ns);
                        }))
        .hasSize(2);
    runKubectl("drop-create", ns, LEASE, SA);
    assertThat(leaseGrants(ns))
        .isEqualTo(
            Set.of("leases/app:get", "leases/app:update", "leases/app:list", "leases/app:watch"));
    assertThat(admin.rbac().roleBindings().inNamespace(ns).list().getItems()).hasSize(1);
  }

  @Test
  void anIdentityWithExactlyTheMinimalRoleElectsHandsOverThroughTheWatchAndReleases()
      throws Exception {
    runKubectl("kubectl", ns, LEASE, SA);
    electHandOverAndRelease();
  }

  @Test
  void anIdentityWithExactlyTheYamlRoleElectsHandsOverAndReleases() throws Exception {
    applyYaml("yaml", ns, LEASE, SA);
    bindYamlRole(ns);
    electHandOverAndRelease();
  }

  @Test
  void withoutTheCreateRuleAPreCreatedLeaseIsElectedHandedOverAndReleased() throws Exception {
    runKubectl("kubectl", ns, LEASE, SA);
    runKubectl("drop-create", ns, LEASE, SA);
    applyYaml("lease", ns, LEASE, SA);
    Lease empty = admin.leases().inNamespace(ns).withName(LEASE).get();
    assertThat(empty.getSpec() == null || empty.getSpec().getHolderIdentity() == null).isTrue();
    electHandOverAndRelease();
    // And now create is refused for any name.
    KubernetesLeaseLock another =
        KubernetesLeaseLock.builder(identity()).name("not-yet-created").watch(false).build();
    LeaseLockException e = failure(another.create(held("me", null), T));
    assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
    assertThat(admin.leases().inNamespace(ns).withName("not-yet-created").get()).isNull();
  }

  @Test
  void theSameIdentityIsRefusedOnASecondLeaseOfTheNamespace() throws Exception {
    runKubectl("kubectl", ns, LEASE, SA);
    // Another election's Lease, held by its own leader.
    Lease theirs =
        admin
            .leases()
            .inNamespace(ns)
            .resource(
                new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder()
                    .withNewMetadata()
                    .withName("their-election")
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity("their-leader")
                    .withLeaseDurationSeconds(15)
                    .endSpec()
                    .build())
            .create();
    KubernetesClient client = identity();
    KubernetesLeaseLock lock =
        KubernetesLeaseLock.builder(client).name("their-election").identity("intruder").build();
    assertThat(failure(lock.get(T)).reason()).as("get").isEqualTo(Reason.FORBIDDEN);
    LeaseRecord takeover =
        new LeaseRecord(
            "intruder",
            15,
            Instant.now(),
            Instant.now(),
            1,
            null,
            null,
            theirs.getMetadata().getResourceVersion());
    assertThat(failure(lock.update(takeover, T)).reason()).as("update").isEqualTo(Reason.FORBIDDEN);
    // list and watch by name are refused too (the raw requests the watch sends).
    String byName = It.collectionUrl(client, ns) + "?fieldSelector=metadata.name%3Dtheir-election";
    It.raw(client, "GET", byName, "", 403);
    It.raw(client, "GET", byName + "&watch=true&timeoutSeconds=1", "", 403);
    // ...while its own Lease may be listed by name, but the namespace's Leases may not.
    It.raw(
        client,
        "GET",
        It.collectionUrl(client, ns) + "?fieldSelector=metadata.name%3D" + LEASE,
        "",
        200);
    It.raw(client, "GET", It.collectionUrl(client, ns), "", 403);

    // An election on the other Lease never leads and fails with FORBIDDEN; the Lease is untouched.
    Candidate intruder = new Candidate("intruder", lock).start();
    LeaseLockException refused = intruder.firstError.poll(20, TimeUnit.SECONDS);
    assertThat(refused).as("an error within 20 s").isNotNull();
    assertThat(Objects.requireNonNull(refused).reason()).isEqualTo(Reason.FORBIDDEN);
    Thread.sleep(CONFIG.retryPeriod().toMillis() * 2);
    assertThat(intruder.elector.isLeader()).isFalse();
    assertThat(intruder.started.getCount()).as("never started leading").isEqualTo(1);
    assertThat(intruder.errors)
        .as("every failed call was refused")
        .isNotEmpty()
        .allSatisfy(err -> assertThat(err.reason()).isEqualTo(Reason.FORBIDDEN));
    Lease after = admin.leases().inNamespace(ns).withName("their-election").get();
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(theirs.getMetadata().getResourceVersion());
    assertThat(after.getSpec().getHolderIdentity()).isEqualTo("their-leader");

    // The create rule cannot be restricted to a name (docs/operations.md#rbac): a Lease that does
    // not exist yet can be created, but then neither read nor written.
    KubernetesLeaseLock unborn =
        KubernetesLeaseLock.builder(client)
            .name("unborn")
            .identity("intruder")
            .watch(false)
            .build();
    LeaseRecord created = await(unborn.create(held("intruder", null), T));
    assertThat(failure(unborn.get(T)).reason()).isEqualTo(Reason.FORBIDDEN);
    assertThat(failure(unborn.update(held("intruder", created.version()), T)).reason())
        .isEqualTo(Reason.FORBIDDEN);
  }

  // ---- the election with the minimal identity --------------------------------------------------

  /**
   * Two electors with the minimal identity: the first leads; the second follows through the watch
   * (no request while the first renews); closing the first hands over at once; closing the second
   * releases the Lease. No call is refused.
   */
  private void electHandOverAndRelease() throws Exception {
    // The API server's authorizer sees a new Role a moment after it is stored; a watch refused in
    // that moment backs off 30 s. Wait (bounded) until it allows the verbs by name.
    KubernetesLeaseLock probe = lock("probe");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> denied = await(probe.checkAccess(T)).denied();
    while (!denied.stream().allMatch("create"::equals) && System.nanoTime() < until) {
      Thread.sleep(50);
      denied = await(probe.checkAccess(T)).denied();
    }
    assertThat(denied).as("verbs by name the minimal Role allows").isSubsetOf(List.of("create"));
    // The watch itself: it lists and watches by name and delivers.
    LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
    CountDownLatch delivering = new CountDownLatch(1);
    try (LeaseLock.Watch w =
        Objects.requireNonNull(
            probe.watch(
                new LeaseLock.ChangeListener() {
                  @Override
                  public void leaseChanged(@Nullable LeaseRecord current) {
                    seen.add(current == null ? "<deleted>" : "" + current.holderIdentity());
                  }

                  @Override
                  public void watchHealthChanged(boolean healthy) {
                    if (healthy) {
                      delivering.countDown();
                    }
                  }
                },
                Scheduler.shared()))) {
      assertThat(delivering.await(10, TimeUnit.SECONDS))
          .as("the watch (list + watch by name) delivers with the minimal Role")
          .isTrue();

      Candidate a = new Candidate("a", lock("a")).start();
      assertThat(a.started.await(20, TimeUnit.SECONDS)).as("a leads").isTrue();
      assertThat(poll(seen, "a")).as("the watch pushes a's term").isTrue();

      Candidate b = new Candidate("b", lock("b")).start();
      assertThat(b.newLeader.poll(20, TimeUnit.SECONDS)).isEqualTo("a");
      // A follower whose watch delivers reads nothing while the leader renews; a polling one would
      // have tried at least once in this window (every 2 to 4.4 s).
      int before = b.attempts.get();
      Thread.sleep(5_000);
      assertThat(b.attempts.get()).as("b's attempts while a renewed for 5 s").isEqualTo(before);
      assertThat(a.elector.isLeader()).isTrue();

      long closing = System.nanoTime();
      a.close();
      assertThat(b.started.await(10, TimeUnit.SECONDS)).as("b takes over").isTrue();
      Duration handOver = Duration.ofNanos(b.startedAt - closing);
      System.err.println("[minimal-role] hand-over a -> b took " + handOver.toMillis() + " ms");
      assertThat(handOver).as("hand-over through the watch").isLessThan(Duration.ofMillis(1_800));

      b.close();
      Lease released = admin.leases().inNamespace(ns).withName(LEASE).get();
      assertThat(released.getSpec().getHolderIdentity()).as("released by b").isNullOrEmpty();
      for (Candidate c : List.of(a, b)) {
        assertThat(c.errors)
            .as("calls refused to an elector with the minimal Role")
            .noneMatch(err -> err.reason() == Reason.FORBIDDEN);
      }
      assertThat(w).isNotNull();
    }
  }

  private static boolean poll(LinkedBlockingQueue<String> seen, String holder)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      String s = seen.poll(100, TimeUnit.MILLISECONDS);
      if (holder.equals(s)) {
        return true;
      }
    }
    return false;
  }

  private KubernetesLeaseLock lock(String id) {
    return KubernetesLeaseLock.builder(identity()).name(LEASE).identity(id).build();
  }

  private static LeaseRecord held(String holder, @Nullable String version) {
    Instant now = Instant.now();
    return new LeaseRecord(holder, 15, now, now, 0, null, null, version);
  }

  /** An elector and what it saw. */
  private final class Candidate implements LeaderCallbacks, AutoCloseable {
    final LeaderElector elector;
    final CountDownLatch started = new CountDownLatch(1);
    volatile long startedAt;
    final LinkedBlockingQueue<String> newLeader = new LinkedBlockingQueue<>();
    final AtomicInteger attempts = new AtomicInteger();
    final List<LeaseLockException> errors = new CopyOnWriteArrayList<>();
    final LinkedBlockingQueue<LeaseLockException> firstError = new LinkedBlockingQueue<>();

    Candidate(String id, KubernetesLeaseLock lock) {
      assertThat(lock.identity()).isEqualTo(id);
      this.elector =
          LeaderElector.builder(lock)
              .config(CONFIG)
              .callbacks(this)
              .listener(
                  new LeaderElectionListener() {
                    @Override
                    public void onAttempt(boolean renewal) {
                      if (!renewal) {
                        attempts.incrementAndGet();
                      }
                    }

                    @Override
                    public void onError(Operation operation, Throwable error) {
                      LeaseLockException e =
                          error instanceof LeaseLockException l
                              ? l
                              : new LeaseLockException(Reason.OTHER, error.toString(), error);
                      errors.add(e);
                      firstError.offer(e);
                    }
                  })
              .build();
      candidates.add(this);
    }

    Candidate start() {
      elector.start();
      return this;
    }

    @Override
    public void onStartedLeading(Leadership leadership) {
      startedAt = System.nanoTime();
      started.countDown();
    }

    @Override
    public void onNewLeader(String identity) {
      newLeader.add(identity);
    }

    @Override
    public void close() {
      elector.close();
    }
  }
}
