package io.siyu.audience;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * A customer. {@code id} is the unionid when WeCom gives one (it survives re-adds and other staff), else
 * the external_userid.
 *
 * @param ownerUserId the staff member who owns the relationship (first follow)
 * @param state       channel attribution: the State of the first add event (contact-way QR code)
 * @param answers     questionnaire answers by question id
 */
public record Person(String id, String externalUserId, String unionId, String name, String avatar, int gender,
                     String ownerUserId, String remark, String state, Set<String> tags, Map<String, String> answers,
                     Instant firstSeen) {}
