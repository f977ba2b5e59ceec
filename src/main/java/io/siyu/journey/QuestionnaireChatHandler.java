package io.siyu.journey;

import com.google.gson.Gson;
import io.siyu.audience.PersonStore;
import io.siyu.inbox.InboxEvent;
import io.siyu.inbox.InboxHandler;
import io.siyu.infra.Transient;
import io.siyu.journey.QuestionnaireProperties.Option;
import io.siyu.journey.QuestionnaireProperties.Question;
import io.siyu.journey.QuestionnaireProperties.Type;
import io.siyu.journey.QuestionnaireStore.Answer;
import io.siyu.journey.QuestionnaireStore.Save;
import io.siyu.journey.QuestionnaireStore.Saved;
import io.siyu.outbox.Outbox;
import io.siyu.outbox.OutboxMessage;
import io.siyu.outbox.OutboxMessage.Content;
import io.siyu.outbox.OutboxMessage.Menu;
import io.siyu.outbox.OutboxMessage.MenuItem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import me.chanjar.weixin.cp.bean.kf.WxCpKfMsgListResp.WxCpKfMsgItem;
import me.chanjar.weixin.cp.util.json.WxCpGsonBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The questionnaire in WeChat customer service: a keyword (or an {@code enter_session} with a configured
 * scene) starts it; each question goes out as a {@code msgmenu} whose click items have ids
 * {@code q:<questionId>:<optionId>} ({@code _done} ends a multi-choice question, {@code _skip} skips an
 * optional one); a text question takes the customer's next plain text. Every answer is saved at once
 * (partial answers are kept, the H5 page shows them), through the same script as the page. Clicks on
 * anything but the current question are stale and ignored. Each reply is keyed on the customer message
 * that caused it, so a redelivered entry never sends twice.
 */
@Component
class QuestionnaireChatHandler implements InboxHandler {

  static final String TEXT = "kf:text";
  static final String ENTER_SESSION = "kf:event:enter_session";
  static final String MENU_PREFIX = "q:";
  static final String DONE = "_done";
  static final String SKIP = "_skip";
  static final String MORE = "_more:";
  private static final int CUSTOMER = 3;
  private static final int MAX_MENU_ITEMS = 10;

  private static final Logger log = LoggerFactory.getLogger(QuestionnaireChatHandler.class);

  /** The completion is being finished by another delivery: let the dispatcher try again. */
  static final class CompletionPending extends RuntimeException implements Transient {
    CompletionPending() {
      super("questionnaire completion still being finished");
    }
  }

  private final QuestionnaireProperties props;
  private final QuestionnaireStore store;
  private final Questionnaire questionnaire;
  private final PersonStore persons;
  private final Outbox outbox;
  private final Gson gson = WxCpGsonBuilder.create();

  QuestionnaireChatHandler(QuestionnaireProperties props, QuestionnaireStore store, Questionnaire questionnaire,
                           PersonStore persons, Outbox outbox) {
    this.props = props;
    this.store = store;
    this.questionnaire = questionnaire;
    this.persons = persons;
    this.outbox = outbox;
  }

  @Override
  public String name() {
    return "questionnaire-chat";
  }

  @Override
  public boolean supports(InboxEvent event) {
    return props.kfApp().equals(event.app()) && (TEXT.equals(event.kind()) || ENTER_SESSION.equals(event.kind()));
  }

  /** One customer message: who, through which account, and what it asks of the questionnaire. */
  private record Incoming(String msgId, String externalUserId, String openKfId, String content, String menuId,
                          boolean start) {}

  @Override
  public Mono<Void> handle(InboxEvent event) {
    return Mono.fromCallable(() -> gson.fromJson(event.payload(), WxCpKfMsgItem.class))
        .flatMap(item -> Mono.justOrEmpty(incoming(event, item)))
        .flatMap(in -> persons.idOfExternalUser(in.externalUserId())
            .map(Optional::of).defaultIfEmpty(Optional.empty())
            .flatMap(id -> id.map(personId -> handle(personId, in)).orElseGet(() -> unknownCustomer(in))))
        .then();
  }

  private Optional<Incoming> incoming(InboxEvent event, WxCpKfMsgItem item) {
    if (item.getMsgId() == null || item.getExternalUserId() == null) {
      return Optional.empty();
    }
    if (ENTER_SESSION.equals(event.kind())) {
      String scene = item.getEvent() == null ? null : item.getEvent().getScene();
      String ext = item.getEvent() != null && item.getEvent().getExternalUserId() != null
          ? item.getEvent().getExternalUserId() : item.getExternalUserId();
      return scene != null && props.chat().enterSessionScenes().contains(scene)
          ? Optional.of(new Incoming(item.getMsgId(), ext, item.getOpenKfid(), null, null, true))
          : Optional.empty();
    }
    if (item.getOrigin() == null || item.getOrigin() != CUSTOMER || item.getText() == null) {
      return Optional.empty();
    }
    String content = item.getText().getContent() == null ? "" : item.getText().getContent().strip();
    String menuId = item.getText().getMenuId();
    if (menuId != null && !menuId.startsWith(MENU_PREFIX)) {
      return Optional.empty(); // another feature's menu
    }
    boolean start = menuId == null && props.chat().keywords().contains(content);
    return Optional.of(new Incoming(item.getMsgId(), item.getExternalUserId(), item.getOpenKfid(), content, menuId,
        start));
  }

  private Mono<Void> handle(String personId, Incoming in) {
    if (in.start()) {
      return store.save(personId, new Save(in.msgId(), "", "", List.of()))
          .flatMap(saved -> react(personId, in, saved, true));
    }
    if (in.menuId() != null) {
      return click(personId, in);
    }
    return textAnswer(personId, in);
  }

  private Mono<Void> click(String personId, Incoming in) {
    String[] parts = in.menuId().split(":", 3);
    Optional<Question> found = parts.length == 3 ? props.question(parts[1]) : Optional.empty();
    if (found.isEmpty()) {
      return Mono.empty();
    }
    Question q = found.get();
    String choice = parts[2];
    Mono<Saved> saved;
    if (choice.startsWith(MORE)) {
      return morePage(personId, in, q, choice.substring(MORE.length()));
    } else if (SKIP.equals(choice) && !q.required()) {
      saved = store.save(personId, new Save(in.msgId(), q.id(), "", List.of(new Answer(q.id(), "", List.of()))));
    } else if (DONE.equals(choice) && q.type() == Type.MULTI) {
      saved = store.save(personId, new Save(in.msgId(), q.id(), q.id(), List.of()));
    } else if (q.option(choice).isPresent() && q.type() == Type.SINGLE) {
      saved = store.save(personId, new Save(in.msgId(), q.id(), "",
          List.of(new Answer(q.id(), choice, QuestionnaireForm.tags(q, List.of(choice))))));
    } else if (q.option(choice).isPresent() && q.type() == Type.MULTI) {
      return store.toggle(personId, in.msgId(), q, choice).flatMap(t -> switch (t.status()) {
        case "toggled" -> send(personId, in, prompt(q, selection(t.arg()), null, pageOf(q, choice)));
        default -> react(personId, in, t, false);
      });
    } else {
      return Mono.empty();
    }
    return saved.flatMap(s -> react(personId, in, s, false));
  }

  /** Plain text: the answer to the current question when it is a text question, otherwise not ours. */
  private Mono<Void> textAnswer(String personId, Incoming in) {
    return store.progress(personId).flatMap(p -> {
      Optional<Question> current = p.completed() ? Optional.empty()
          : Optional.ofNullable(p.state().get("current")).flatMap(props::question).filter(q -> q.type() == Type.TEXT);
      if (current.isEmpty() || in.content().isEmpty()) {
        return Mono.empty();
      }
      Question q = current.get();
      if (in.content().codePointCount(0, in.content().length()) > q.maxLength()) {
        return send(personId, in, prompt(q, List.of(), props.texts().tooLong().replace("{max}",
            Integer.toString(q.maxLength())), 0));
      }
      return store.save(personId, new Save(in.msgId(), q.id(), "", List.of(new Answer(q.id(), in.content(), List.of()))))
          .flatMap(s -> react(personId, in, s, false));
    });
  }

  /** What to tell the customer after a save. */
  private Mono<Void> react(String personId, Incoming in, Saved saved, boolean start) {
    return switch (saved.status()) {
      case "next", "replay" -> saved.arg().isEmpty() ? Mono.empty()
          : props.question(saved.arg()).map(q -> send(personId, in, prompt(q, List.of(), null, 0))).orElse(Mono.empty());
      case "unanswered" -> props.question(saved.arg())
          .map(q -> send(personId, in, prompt(q, List.of(), props.texts().required(), 0))).orElse(Mono.empty());
      case "completed" -> questionnaire.finish(personId, saved.args(), "chat")
          .flatMap(prize -> send(personId, in, Content.text(questionnaire.thanks(prize))));
      case "done" -> {
        // args: completedAt, prize recorded, prize, the message that completed it
        boolean completingMessage = in.msgId().equals(saved.args().get(3));
        if (!start && !completingMessage) {
          yield Mono.empty(); // a click on an old menu after completion
        }
        yield questionnaire.earlierPrize(personId, saved)
            .switchIfEmpty(Mono.error(CompletionPending::new))
            .flatMap(prize -> send(personId, in, Content.text(completingMessage
                ? questionnaire.thanks(prize) : questionnaire.alreadyCompleted(prize))));
      }
      default -> Mono.empty(); // stale: a click on a question that is not the current one
    };
  }

  /** Another page of the current question's options (a read: nothing changes). */
  private Mono<Void> morePage(String personId, Incoming in, Question q, String page) {
    if (!page.matches("\\d{1,2}")) {
      return Mono.empty();
    }
    return store.progress(personId)
        .filter(p -> !p.completed() && q.id().equals(p.state().get("current")))
        .flatMap(p -> send(personId, in, prompt(q, selection(p.state().getOrDefault("draft:" + q.id(), "")), null,
            Integer.parseInt(page))));
  }

  /**
   * The question as a menu (or plain text for a required text question, which has nothing to click).
   * More options than fit WeCom's 10 menu items are paged, the last item of a page leading to the next.
   */
  private Content prompt(Question q, List<String> selected, String notice, int page) {
    String hint = switch (q.type()) {
      case SINGLE -> props.texts().chatChoiceHint();
      case MULTI -> props.texts().chatMultiHint();
      case TEXT -> props.texts().chatTextHint();
    };
    List<MenuItem> fixed = new ArrayList<>();
    if (q.type() == Type.MULTI) {
      fixed.add(new MenuItem(MENU_PREFIX + q.id() + ":" + DONE, props.texts().chatDone()));
    } else if (!q.required()) {
      fixed.add(new MenuItem(MENU_PREFIX + q.id() + ":" + SKIP, props.texts().chatSkip()));
    }
    List<MenuItem> options = q.options().stream()
        .map(o -> new MenuItem(MENU_PREFIX + q.id() + ":" + o.id(), (selected.contains(o.id()) ? "✓ " : "") + o.label()))
        .toList();
    List<MenuItem> items = new ArrayList<>();
    int room = MAX_MENU_ITEMS - fixed.size();
    if (options.size() <= room) {
      items.addAll(options);
    } else {
      int perPage = room - 1;
      int pages = (options.size() + perPage - 1) / perPage;
      int p = Math.floorMod(page, pages);
      items.addAll(options.subList(p * perPage, Math.min(options.size(), (p + 1) * perPage)));
      items.add(new MenuItem(MENU_PREFIX + q.id() + ":" + MORE + ((p + 1) % pages), props.texts().chatMore()));
    }
    items.addAll(fixed);
    List<String> tail = new ArrayList<>();
    if (notice != null) {
      tail.add(notice);
    }
    if (!selected.isEmpty()) {
      tail.add(props.texts().chatSelected() + String.join("、", q.options().stream()
          .filter(o -> selected.contains(o.id())).map(Option::label).toList()));
    }
    tail.add(hint);
    if (items.isEmpty()) {
      return Content.text(q.text() + "\n" + String.join("\n", tail));
    }
    return new Content(null, List.of(), new Menu(q.text(), List.copyOf(items), String.join("\n", tail)));
  }

  private int pageOf(Question q, String optionId) {
    int fixed = q.type() == Type.MULTI || !q.required() ? 1 : 0;
    int room = MAX_MENU_ITEMS - fixed;
    if (q.options().size() <= room) {
      return 0;
    }
    int index = 0;
    while (index < q.options().size() && !q.options().get(index).id().equals(optionId)) {
      index++;
    }
    return index / (room - 1);
  }

  private static List<String> selection(String csv) {
    return csv.isEmpty() ? List.of() : Arrays.asList(csv.split(","));
  }

  private Mono<Void> unknownCustomer(Incoming in) {
    if (!in.start() && in.menuId() == null) {
      return Mono.empty(); // free text from someone we do not know is not the questionnaire's business
    }
    log.info("questionnaire chat from a customer without a person record");
    return enqueue(new OutboxMessage("questionnaire:unknown:" + in.msgId(), null, recipient(in),
        Content.text(props.texts().chatUnknownCustomer()), 0, null, "questionnaire"));
  }

  private Mono<Void> send(String personId, Incoming in, Content content) {
    return enqueue(new OutboxMessage("questionnaire:" + personId + ":" + in.msgId(), personId, recipient(in), content,
        0, null, "questionnaire"));
  }

  private Mono<Void> enqueue(OutboxMessage message) {
    return outbox.enqueue(message).then();
  }

  private static OutboxMessage.Recipient recipient(Incoming in) {
    return new OutboxMessage.Recipient(in.externalUserId(), null, null, null, in.openKfId());
  }
}
