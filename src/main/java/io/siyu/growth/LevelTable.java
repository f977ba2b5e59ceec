package io.siyu.growth;

import io.siyu.growth.GrowthProperties.Levels;
import java.util.ArrayList;
import java.util.List;

/**
 * Level thresholds: level {@code k} (1-based) starts at {@code thresholds().get(k - 1)} growth; level 1
 * at 0. Built from an explicit list or from the recipe documented on {@link GrowthProperties}: the time
 * from level k-1 to k is {@code horizon × w_k / Σw} days, and the threshold is
 * {@code round(dailyCap × cumulative days)}.
 */
public final class LevelTable {

  private final List<Long> thresholds;
  private final String recipe;

  private LevelTable(List<Long> thresholds, String recipe) {
    for (int i = 0; i < thresholds.size(); i++) {
      if (i == 0 ? thresholds.get(0) != 0 : thresholds.get(i) <= thresholds.get(i - 1)) {
        throw new IllegalArgumentException("siyu.growth.levels.thresholds must start at 0 and be strictly increasing: "
            + thresholds + " (" + recipe + ")");
      }
    }
    if (thresholds.size() < 2) {
      throw new IllegalArgumentException("siyu.growth.levels.thresholds needs at least 2 levels");
    }
    this.thresholds = List.copyOf(thresholds);
    this.recipe = recipe;
  }

  public static LevelTable of(GrowthProperties props) {
    return of(props.levels(), props.dailyCap());
  }

  public static LevelTable of(Levels levels, long dailyCap) {
    if (levels.thresholds() != null) {
      return new LevelTable(levels.thresholds(), "explicit");
    }
    return new LevelTable(recipe(levels, dailyCap), String.format(java.util.Locale.ROOT,
        "recipe: horizon %dd, count %d, curve %s, ratio %s, exponent %s, daily cap %d",
        levels.horizon().toDays(), levels.count(), levels.curve().name().toLowerCase(), levels.ratio(),
        levels.exponent(), dailyCap));
  }

  /** An explicit table (tests, tools). */
  public static LevelTable of(List<Long> thresholds) {
    return new LevelTable(thresholds, "explicit");
  }

  static List<Long> recipe(Levels levels, long dailyCap) {
    int count = levels.count();
    double horizonDays = levels.horizon().toSeconds() / 86_400.0;
    double[] w = new double[count + 1];
    double sum = 0;
    long fPrev = 0;
    long f = 1; // F(1) = 1, F(2) = 1, F(3) = 2, ...
    for (int k = 2; k <= count; k++) {
      w[k] = switch (levels.curve()) {
        case EXPONENTIAL -> Math.pow(levels.ratio(), k - 2);
        case POWER -> Math.pow(k - 1, levels.exponent());
        case FIBONACCI -> f;
      };
      long next = f + fPrev;
      fPrev = f;
      f = next;
      sum += w[k];
    }
    List<Long> t = new ArrayList<>(count);
    t.add(0L);
    double cumulative = 0;
    for (int k = 2; k <= count; k++) {
      cumulative += w[k];
      t.add(Math.round(dailyCap * horizonDays * cumulative / sum));
    }
    return t;
  }

  public List<Long> thresholds() {
    return thresholds;
  }

  /** How the table was obtained ("explicit" or the recipe's parameters). */
  public String recipe() {
    return recipe;
  }

  public int levels() {
    return thresholds.size();
  }

  /** The level of a growth total: the highest level whose threshold it reaches. */
  public int levelOf(long growth) {
    int level = 1;
    for (int i = 1; i < thresholds.size() && growth >= thresholds.get(i); i++) {
      level = i + 1;
    }
    return level;
  }

  /**
   * Progress within the current level.
   *
   * @param floor   the current level's threshold
   * @param next    the next level's threshold, null at the top level
   * @param percent 0..100 of the way from floor to next (100 at the top level)
   */
  public record Progress(long growth, int level, long floor, Long next, double percent) {}

  public Progress progress(long growth) {
    int level = levelOf(growth);
    long floor = thresholds.get(level - 1);
    if (level == thresholds.size()) {
      return new Progress(growth, level, floor, null, 100.0);
    }
    long next = thresholds.get(level);
    double percent = Math.floor((growth - floor) * 1000.0 / (next - floor)) / 10.0;
    return new Progress(growth, level, floor, next, percent);
  }
}
