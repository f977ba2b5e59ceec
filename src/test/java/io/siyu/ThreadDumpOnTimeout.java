package io.siyu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Prints every thread's stack when a test fails on a timeout (a blocking read, a WebTestClient exchange or an
 * Awaitility condition), then rethrows. A stalled Redis connection or a blocked event loop shows up as a timeout
 * far from its cause; the dump names the cause. Registered for every test through JUnit's extension autodetection
 * (src/test/resources/junit-platform.properties).
 */
public class ThreadDumpOnTimeout implements TestExecutionExceptionHandler {

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
    if (isTimeout(thrown)) {
      StringBuilder dump = new StringBuilder("=== thread dump after a timeout in ")
          .append(context.getDisplayName()).append(" ===\n");
      for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
        dump.append(format(info));
      }
      System.err.println(dump);
    }
    throw thrown;
  }

  private static boolean isTimeout(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      String name = t.getClass().getName();
      String message = String.valueOf(t.getMessage());
      if (t instanceof TimeoutException || name.endsWith("ConditionTimeoutException")
          || message.contains("Timeout on blocking read") || message.contains("Timeout on Mono")
          || message.contains("Did not observe any item or terminal signal")) {
        return true;
      }
    }
    return false;
  }

  // ThreadInfo.toString() cuts stacks at 8 frames; a stall needs the whole stack.
  private static String format(ThreadInfo info) {
    StringBuilder s = new StringBuilder("\"").append(info.getThreadName()).append("\" ")
        .append(info.getThreadState());
    if (info.getLockName() != null) {
      s.append(" on ").append(info.getLockName());
    }
    s.append('\n');
    for (StackTraceElement frame : info.getStackTrace()) {
      s.append("    at ").append(frame).append('\n');
    }
    return s.append('\n').toString();
  }
}
