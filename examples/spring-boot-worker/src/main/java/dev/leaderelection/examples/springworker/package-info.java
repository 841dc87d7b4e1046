/**
 * The singleton worker with the Spring Boot starter: see {@link
 * dev.leaderelection.examples.springworker.SpringBootWorker}.
 */
@NullMarked
package dev.leaderelection.examples.springworker;

import org.jspecify.annotations.NullMarked;
