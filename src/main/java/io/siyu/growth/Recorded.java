package io.siyu.growth;

/**
 * The outcome of {@link Interactions#record}.
 *
 * @param first         false for a replay of an interaction already recorded (nothing changed)
 * @param growthAdded   growth granted after the per-kind and global daily caps
 * @param growth        the person's growth total afterwards
 * @param level         the level afterwards
 * @param previousLevel the level before (equal to level for a replay)
 */
public record Recorded(boolean first, long growthAdded, long growth, int level, int previousLevel,
                       String personId, String kind, String key) {

  public boolean leveledUp() {
    return level > previousLevel;
  }
}
