package io.siyu.journey;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The customer's questionnaire page at the signed link {@code /q/<token>}. Customer-facing: every answer
 * is an HTML page in Chinese (also the errors: 410 expired link, 403 invalid link, 400 field errors),
 * never a problem document. The person comes from the verified token only.
 */
@RestController
class QuestionnaireController {

  private static final Logger log = LoggerFactory.getLogger(QuestionnaireController.class);
  private static final MediaType HTML = new MediaType(MediaType.TEXT_HTML, java.nio.charset.StandardCharsets.UTF_8);

  private final QuestionnaireTokens tokens;
  private final QuestionnaireStore store;
  private final Questionnaire questionnaire;
  private final QuestionnaireProperties props;

  QuestionnaireController(QuestionnaireTokens tokens, QuestionnaireStore store, Questionnaire questionnaire,
                          QuestionnaireProperties props) {
    this.tokens = tokens;
    this.store = store;
    this.questionnaire = questionnaire;
    this.props = props;
  }

  @GetMapping("/q/{token}")
  Mono<ResponseEntity<String>> show(@PathVariable String token) {
    QuestionnaireTokens.Result link = tokens.verify(token);
    if (link.status() != QuestionnaireTokens.Status.VALID) {
      return Mono.just(badLink(link));
    }
    String personId = link.personId();
    return store.progress(personId).flatMap(p -> {
      if (p.completed()) {
        return Mono.justOrEmpty(p.prize()).map(prize -> page(HttpStatus.OK, questionnaire.alreadyCompleted(prize)))
            .defaultIfEmpty(page(HttpStatus.OK, props.texts().processing()));
      }
      Map<String, List<String>> values = p.answers().entrySet().stream().filter(e -> !e.getValue().isEmpty())
          .collect(Collectors.toMap(Map.Entry::getKey, e -> List.of(e.getValue().split(","))));
      props.questions().stream().filter(q -> q.type() == QuestionnaireProperties.Type.TEXT)
          .forEach(q -> values.computeIfPresent(q.id(), (k, v) -> List.of(p.answers().get(k))));
      return Mono.just(html(HttpStatus.OK, QuestionnaireHtml.form(props, "/q/" + token, values, Map.of())));
    });
  }

  @PostMapping(path = "/q/{token}", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
  Mono<ResponseEntity<String>> submit(@PathVariable String token, ServerWebExchange exchange) {
    QuestionnaireTokens.Result link = tokens.verify(token);
    if (link.status() != QuestionnaireTokens.Status.VALID) {
      return Mono.just(badLink(link));
    }
    String personId = link.personId();
    return exchange.getFormData().flatMap(data -> {
      QuestionnaireForm form = QuestionnaireForm.parse(props, data);
      if (!form.valid()) {
        log.warn("questionnaire submission refused: {} field error(s)", form.errors().size());
        return Mono.just(html(HttpStatus.BAD_REQUEST,
            QuestionnaireHtml.form(props, "/q/" + token, form.values(), form.errors())));
      }
      return store.save(personId, QuestionnaireStore.Save.page(form.answers())).flatMap(saved -> switch (saved.status()) {
        case "completed" -> questionnaire.finish(personId, saved.args(), "page")
            .map(prize -> page(HttpStatus.OK, questionnaire.thanks(prize)));
        case "done" -> questionnaire.earlierPrize(personId, saved)
            .map(prize -> page(HttpStatus.OK, questionnaire.alreadyCompleted(prize)))
            .defaultIfEmpty(page(HttpStatus.OK, props.texts().processing()));
        // the page sends every question, so only a definition changed since the form was served gets here
        default -> Mono.just(html(HttpStatus.BAD_REQUEST, QuestionnaireHtml.form(props, "/q/" + token, form.values(),
            Map.of(QuestionnaireForm.FORM, props.texts().unknownQuestion()))));
      });
    });
  }

  private ResponseEntity<String> badLink(QuestionnaireTokens.Result link) {
    boolean expired = link.status() == QuestionnaireTokens.Status.EXPIRED;
    log.warn("questionnaire link refused: {}", expired ? "expired" : "invalid");
    return expired ? page(HttpStatus.GONE, props.texts().expiredLink())
        : page(HttpStatus.FORBIDDEN, props.texts().invalidLink());
  }

  private ResponseEntity<String> page(HttpStatus status, String text) {
    return html(status, QuestionnaireHtml.message(props, text));
  }

  private static ResponseEntity<String> html(HttpStatus status, String body) {
    return ResponseEntity.status(status).contentType(HTML).cacheControl(CacheControl.noStore()).body(body);
  }
}
