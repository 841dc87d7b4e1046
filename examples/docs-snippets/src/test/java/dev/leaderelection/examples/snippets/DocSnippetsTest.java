package dev.leaderelection.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the Markdown honest.
 *
 * <p>Every {@code ```java} block in README.md and docs/*.md must be preceded by {@code <!--
 * snippet: NAME -->} and equal the region {@code // tag::NAME[]} … {@code // end::NAME[]} of the
 * compiled sources of this module (dedented; a region may be split into several parts). After
 * changing a source, update the Markdown with:
 *
 * <pre>
 * ./mvnw -q -pl examples/docs-snippets -am test -Dsnippets.update=true -Dtest=DocSnippetsTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>Every relative link in the Markdown must point to an existing file, and an {@code #anchor} to
 * one of its headings.
 */
class DocSnippetsTest {
  private static final Pattern TAG = Pattern.compile("^\\s*// tag::([\\w.-]+)\\[\\]\\s*$");
  private static final Pattern END = Pattern.compile("^\\s*// end::([\\w.-]+)\\[\\]\\s*$");
  private static final Pattern MARKER = Pattern.compile("^<!-- snippet: ([\\w.-]+) -->$");
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");

  private static Path root() {
    String configured = System.getProperty("docs.root");
    Path r = configured == null || configured.isBlank() ? Path.of("../..") : Path.of(configured);
    return r.toAbsolutePath().normalize();
  }

  private static List<Path> markdownFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(root().resolve("README.md"));
    try (Stream<Path> docs = Files.list(root().resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    for (String extra :
        List.of(
            "examples/singleton-worker/README.md",
            "examples/singleton-worker-client-java/README.md",
            "examples/spring-boot-worker/README.md")) {
      Path p = root().resolve(extra);
      if (Files.exists(p)) {
        files.add(p);
      }
    }
    return files;
  }

  /** Reads every tag::NAME[] region of this module's test sources. */
  static Map<String, List<String>> regions() throws IOException {
    Map<String, List<String>> regions = new LinkedHashMap<>();
    Path src = Path.of("src/test/java").toAbsolutePath();
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        Set<String> open = new LinkedHashSet<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          Matcher t = TAG.matcher(line);
          Matcher e = END.matcher(line);
          if (t.matches()) {
            open.add(t.group(1));
            regions.computeIfAbsent(t.group(1), k -> new ArrayList<>());
          } else if (e.matches()) {
            open.remove(e.group(1));
            List<String> part = regions.get(e.group(1));
            while (part != null && !part.isEmpty() && part.get(part.size() - 1).isBlank()) {
              part.remove(part.size() - 1); // a region may be split; no blank line at a seam
            }
          } else {
            for (String name : open) {
              regions.get(name).add(line);
            }
          }
        }
        assertThat(open).as("regions left open in %s", f).isEmpty();
      }
    }
    Map<String, List<String>> dedented = new LinkedHashMap<>();
    regions.forEach((k, v) -> dedented.put(k, dedent(v)));
    return dedented;
  }

  static List<String> dedent(List<String> lines) {
    List<String> l = new ArrayList<>(lines);
    while (!l.isEmpty() && l.get(0).isBlank()) {
      l.remove(0);
    }
    while (!l.isEmpty() && l.get(l.size() - 1).isBlank()) {
      l.remove(l.size() - 1);
    }
    int indent = Integer.MAX_VALUE;
    for (String s : l) {
      if (!s.isBlank()) {
        indent = Math.min(indent, s.length() - s.stripLeading().length());
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : l) {
      out.add(s.isBlank() ? "" : s.substring(indent));
    }
    return out;
  }

  @Test
  void everyJavaSnippetInTheDocsIsACompiledRegionOfThisModule() throws IOException {
    Map<String, List<String>> regions = regions();
    boolean update = Boolean.parseBoolean(System.getProperty("snippets.update", "false"));
    List<String> problems = new ArrayList<>();
    Set<String> used = new LinkedHashSet<>();
    for (Path md : markdownFiles()) {
      List<String> lines = Files.readAllLines(md, StandardCharsets.UTF_8);
      List<String> out = new ArrayList<>();
      String where = root().relativize(md).toString();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        out.add(line);
        if (!line.trim().toLowerCase(Locale.ROOT).equals("```java")) {
          continue;
        }
        int end = i + 1;
        while (end < lines.size() && !lines.get(end).trim().equals("```")) {
          end++;
        }
        List<String> block = lines.subList(i + 1, Math.min(end, lines.size()));
        String marker = previousNonBlank(lines, i);
        Matcher m = MARKER.matcher(marker == null ? "" : marker.trim());
        if (!m.matches()) {
          problems.add(
              where
                  + ":"
                  + (i + 1)
                  + ": a ```java block without a <!-- snippet: NAME --> line before it; put the code"
                  + " in examples/docs-snippets/src/test/java between // tag::NAME[] and"
                  + " // end::NAME[]");
          out.addAll(block);
        } else {
          String name = m.group(1);
          used.add(name);
          List<String> region = regions.get(name);
          if (region == null) {
            problems.add(where + ":" + (i + 1) + ": no region tag::" + name + "[] in the sources");
            out.addAll(block);
          } else if (!region.equals(block)) {
            if (update) {
              out.addAll(region);
            } else {
              problems.add(
                  where
                      + ":"
                      + (i + 1)
                      + ": snippet "
                      + name
                      + " differs from its source; expected:\n"
                      + String.join("\n", region)
                      + "\n  (run with -Dsnippets.update=true to rewrite the Markdown)");
              out.addAll(block);
            }
          } else {
            out.addAll(block);
          }
        }
        if (end < lines.size()) {
          out.add(lines.get(end));
        }
        i = end;
      }
      if (update && !out.equals(lines)) {
        Files.writeString(md, String.join("\n", out) + "\n", StandardCharsets.UTF_8);
      }
    }
    Set<String> unused = new LinkedHashSet<>(regions.keySet());
    unused.removeAll(used);
    for (String name : unused) {
      problems.add("region " + name + " is not used in any Markdown file; use it or remove it");
    }
    assertThat(problems).as(String.join("\n\n", problems)).isEmpty();
  }

  @Test
  void everyRelativeLinkInTheDocsResolves() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Path md : markdownFiles()) {
      String text = stripCode(Files.readString(md, StandardCharsets.UTF_8));
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue; // http:, https:, mailto:
        }
        String file = target;
        String anchor = null;
        int hash = target.indexOf('#');
        if (hash >= 0) {
          file = target.substring(0, hash);
          anchor = target.substring(hash + 1);
        }
        Path resolved = file.isEmpty() ? md : md.getParent().resolve(file).normalize();
        String where = root().relativize(md) + ": link " + target;
        if (!Files.exists(resolved)) {
          problems.add(where + ": " + root().relativize(resolved) + " does not exist");
        } else if (anchor != null && resolved.toString().endsWith(".md")) {
          if (!anchors(resolved).contains(anchor)) {
            problems.add(
                where + ": no heading with anchor #" + anchor + " in " + resolved.getFileName());
          }
        }
      }
    }
    assertThat(problems).as(String.join("\n", problems)).isEmpty();
  }

  private static String stripCode(String markdown) {
    StringBuilder sb = new StringBuilder();
    boolean inFence = false;
    for (String line : markdown.split("\n", -1)) {
      if (line.trim().startsWith("```")) {
        inFence = !inFence;
        continue;
      }
      if (!inFence) {
        sb.append(line.replaceAll("`[^`]*`", "")).append('\n');
      }
    }
    return sb.toString();
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'. */
  static Set<String> anchors(Path md) {
    Set<String> anchors = new LinkedHashSet<>();
    try {
      boolean inFence = false;
      for (String line : Files.readAllLines(md, StandardCharsets.UTF_8)) {
        if (line.trim().startsWith("```")) {
          inFence = !inFence;
        }
        if (inFence || !line.startsWith("#")) {
          continue;
        }
        String title = line.replaceFirst("^#+\\s*", "").trim();
        String slug =
            title.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
        String unique = slug;
        for (int n = 1; anchors.contains(unique); n++) {
          unique = slug + "-" + n;
        }
        anchors.add(unique);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return anchors;
  }

  private static String previousNonBlank(List<String> lines, int index) {
    for (int i = index - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        return lines.get(i);
      }
    }
    return null;
  }
}
