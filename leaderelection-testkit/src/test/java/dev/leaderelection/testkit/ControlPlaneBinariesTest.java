package dev.leaderelection.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlPlaneBinariesTest {

  @Test
  void theEmbeddedScriptsAreExtracted(@TempDir Path dir) {
    ControlPlaneBinaries.extractScripts(dir);
    assertThat(dir.resolve("build.sh")).isRegularFile();
    assertThat(dir.resolve("kube-apiserver/go.mod.tmpl")).isRegularFile();
    assertThat(dir.resolve("etcd/go.mod.tmpl")).isRegularFile();
  }

  /** Without Go (and nothing cached) the tests must fail, saying what to install. */
  @Test
  void withoutGoTheErrorSaysToInstallIt(@TempDir Path dir) throws Exception {
    ControlPlaneBinaries.extractScripts(dir);
    Path emptyCache = Files.createDirectory(dir.resolve("cache"));
    Path bin = Files.createDirectory(dir.resolve("bin"));
    // A PATH with the usual tools but no `go`.
    for (String tool : new String[] {"bash", "mkdir", "rm", "date", "nproc", "uname", "awk"}) {
      for (String d : new String[] {"/usr/bin", "/bin"}) {
        Path p = Path.of(d, tool);
        if (Files.isExecutable(p) && !Files.exists(bin.resolve(tool))) {
          Files.createSymbolicLink(bin.resolve(tool), p);
        }
      }
    }
    assertThatThrownBy(
            () ->
                ControlPlaneBinaries.runBuild(
                    dir,
                    Map.of("LEADERELECTION_CACHE", emptyCache.toString(), "PATH", bin.toString())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("install Go >= 1.26");
  }
}
