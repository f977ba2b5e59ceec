package io.siyu.blindbox;

import io.siyu.blindbox.DrawResult.PrizeKind;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Blind-box pools and their prizes. Stock here is the INITIAL stock: it is copied to Redis once per
 * prize (a prize added later gets its own initial stock; a restart never resets runtime stock); top-ups
 * go through the admin API. Coupon codes are uploaded through the admin API, not configured.
 *
 * <pre>
 * siyu:
 *   blindbox:
 *     pools:
 *       follow:                          # pool id: [a-z0-9_-], referenced by the journey's steps
 *         name: 关注盲盒
 *         prizes:
 *           - id: trial-pack             # unique within the pool
 *             name: 体验装
 *             kind: sample               # sample | coupon | service | points
 *             weight: 50                 # relative chance among prizes still in stock, > 0
 *             initial-stock: 200         # >= 0
 *             limit-per-person: 1        # default 1
 *           - id: points-50
 *             name: 50 积分
 *             kind: points
 *             weight: 10
 *             initial-stock: 1000
 *             points: 50                 # required for kind points
 *         fallback:                      # optional: unlimited, given when nothing is left
 *           id: thanks
 *           name: 谢谢参与 + 10 积分
 *           kind: points
 *           points: 10
 * </pre>
 */
@Validated
@ConfigurationProperties("siyu.blindbox")
public record BlindBoxProperties(@DefaultValue Map<@Pattern(regexp = ID, message = ID_MESSAGE) String, @Valid Pool> pools) {

  static final String ID = "[a-z0-9_-]{1,32}";
  static final String ID_MESSAGE = "must be 1 to 32 characters of a-z, 0-9, _ and -";

  public BlindBoxProperties {
    pools = pools == null ? Map.of() : new LinkedHashMap<>(pools);
  }

  /** One pool; prizes are drawn by weight among those with stock left and under the person's limit. */
  public record Pool(
      @NotBlank String name,
      @NotEmpty List<@Valid @NotNull Prize> prizes,
      @Valid Fallback fallback) {

    public Pool {
      prizes = prizes == null ? List.of() : List.copyOf(prizes);
    }

    @AssertTrue(message = "prize ids (and the fallback's id) must be unique within a pool")
    boolean isPrizeIdsUnique() {
      Set<String> ids = new HashSet<>();
      for (Prize p : prizes) {
        if (p.id() != null && !ids.add(p.id())) {
          return false;
        }
      }
      return fallback == null || fallback.id() == null || !ids.contains(fallback.id());
    }

    public java.util.Optional<Prize> prize(String prizeId) {
      return prizes.stream().filter(p -> p.id().equals(prizeId)).findFirst();
    }
  }

  /** A stocked prize. */
  public record Prize(
      @NotNull @Pattern(regexp = ID, message = ID_MESSAGE) String id,
      @NotBlank String name,
      @NotNull PrizeKind kind,
      @Min(value = 1, message = "must be greater than 0") @Max(1_000_000) int weight,
      @Min(0) @Max(100_000_000) int initialStock,
      @DefaultValue("1") @Min(1) @Max(1_000) int limitPerPerson,
      @Min(1) Integer points) {

    @AssertTrue(message = "points is required (> 0) for prizes of kind points")
    boolean isPointsGivenForPointsKind() {
      return kind != PrizeKind.POINTS || points != null;
    }
  }

  /** Given (unlimited) when no prize can be drawn; without one the outcome is EMPTY. */
  public record Fallback(
      @NotNull @Pattern(regexp = ID, message = ID_MESSAGE) String id,
      @NotBlank String name,
      @NotNull PrizeKind kind,
      @Min(1) Integer points) {

    @AssertTrue(message = "points is required (> 0) for a fallback of kind points")
    boolean isPointsGivenForPointsKind() {
      return kind != PrizeKind.POINTS || points != null;
    }

    @AssertTrue(message = "a fallback cannot be a coupon: it has no stock and no codes")
    boolean isNotCoupon() {
      return kind != PrizeKind.COUPON;
    }
  }
}
