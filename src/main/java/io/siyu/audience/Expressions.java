package io.siyu.audience;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.expression.AccessException;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.MethodExecutor;
import org.springframework.expression.MethodResolver;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.SpelCompilerMode;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.SpelParseException;
import org.springframework.expression.spel.SpelParserConfiguration;
import org.springframework.expression.spel.ast.BooleanLiteral;
import org.springframework.expression.spel.ast.CompoundExpression;
import org.springframework.expression.spel.ast.Elvis;
import org.springframework.expression.spel.ast.FloatLiteral;
import org.springframework.expression.spel.ast.Indexer;
import org.springframework.expression.spel.ast.InlineList;
import org.springframework.expression.spel.ast.IntLiteral;
import org.springframework.expression.spel.ast.LongLiteral;
import org.springframework.expression.spel.ast.MethodReference;
import org.springframework.expression.spel.ast.NullLiteral;
import org.springframework.expression.spel.ast.OpAnd;
import org.springframework.expression.spel.ast.OpDivide;
import org.springframework.expression.spel.ast.OpEQ;
import org.springframework.expression.spel.ast.OpGE;
import org.springframework.expression.spel.ast.OpGT;
import org.springframework.expression.spel.ast.OpLE;
import org.springframework.expression.spel.ast.OpLT;
import org.springframework.expression.spel.ast.OpMinus;
import org.springframework.expression.spel.ast.OpModulus;
import org.springframework.expression.spel.ast.OpMultiply;
import org.springframework.expression.spel.ast.OpNE;
import org.springframework.expression.spel.ast.OpOr;
import org.springframework.expression.spel.ast.OpPlus;
import org.springframework.expression.spel.ast.OperatorBetween;
import org.springframework.expression.spel.ast.OperatorNot;
import org.springframework.expression.spel.ast.PropertyOrFieldReference;
import org.springframework.expression.spel.ast.RealLiteral;
import org.springframework.expression.spel.ast.StringLiteral;
import org.springframework.expression.spel.ast.Ternary;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.DataBindingPropertyAccessor;
import org.springframework.expression.spel.support.ReflectiveMethodResolver;
import org.springframework.expression.spel.support.SimpleEvaluationContext;

/**
 * Safe boolean expressions over a {@link Profile} (segments, lifecycle rules): Spring Expression Language
 * restricted twice. At definition time the syntax tree is walked and only a whitelist of nodes is
 * accepted — literals, comparisons, {@code and/or/not}, arithmetic, ternary/elvis, {@code between},
 * inline lists, indexers ({@code counts['chat']}), properties of the profile (and {@code rfm.r/f/m}),
 * {@code #root}/{@code #this}, and the methods {@code contains, containsKey, startsWith, endsWith,
 * isEmpty, size}. Anything else — {@code T(..)}, {@code new}, {@code @bean}, assignment, other
 * variables, selection/projection, {@code matches} (regex: denial of service), other methods — is
 * refused with its position, as are unknown property names and expressions that are not boolean. At
 * evaluation time a {@link SimpleEvaluationContext} allows only read-only property access and a method
 * resolver that again allows only the whitelist on String, Collection and Map.
 *
 * <p>Parsed expressions are compiled to bytecode after their first interpreted runs
 * ({@link SpelCompilerMode#MIXED}) and cached by source text for definitions.
 */
public final class Expressions {

  static final Set<String> METHODS = Set.of("contains", "containsKey", "startsWith", "endsWith", "isEmpty", "size");
  private static final Set<String> BOOLEAN_METHODS = Set.of("contains", "containsKey", "startsWith", "endsWith", "isEmpty");
  /** Expression property names of the {@link Profile} root. */
  public static final Set<String> PROPERTIES = Arrays.stream(Profile.class.getRecordComponents())
      .map(RecordComponent::getName).collect(Collectors.toUnmodifiableSet());
  private static final Set<String> BOOLEAN_PROPERTIES = Arrays.stream(Profile.class.getRecordComponents())
      .filter(c -> c.getType() == boolean.class).map(RecordComponent::getName).collect(Collectors.toUnmodifiableSet());
  private static final Set<String> RFM_PROPERTIES = Set.of("r", "f", "m");
  private static final Set<Class<?>> ALLOWED_NODES = Set.of(OpAnd.class, OpOr.class, OperatorNot.class, OpEQ.class,
      OpNE.class, OpLT.class, OpLE.class, OpGT.class, OpGE.class, OpPlus.class, OpMinus.class, OpMultiply.class,
      OpDivide.class, OpModulus.class, OperatorBetween.class, Ternary.class, Elvis.class, StringLiteral.class,
      IntLiteral.class, LongLiteral.class, RealLiteral.class, FloatLiteral.class, BooleanLiteral.class,
      NullLiteral.class, InlineList.class, PropertyOrFieldReference.class, CompoundExpression.class, Indexer.class,
      MethodReference.class, VariableReference.class);
  private static final Set<Class<?>> BOOLEAN_OPERATORS = Set.of(OpAnd.class, OpOr.class, OperatorNot.class,
      OpEQ.class, OpNE.class, OpLT.class, OpLE.class, OpGT.class, OpGE.class, OperatorBetween.class, BooleanLiteral.class);
  private static final int MAX_LENGTH = 2000;

  private static final SpelExpressionParser PARSER = new SpelExpressionParser(
      new SpelParserConfiguration(SpelCompilerMode.MIXED, Expressions.class.getClassLoader()));
  private static final EvaluationContext CONTEXT = SimpleEvaluationContext
      .forPropertyAccessors(DataBindingPropertyAccessor.forReadOnlyAccess())
      .withMethodResolvers(new WhitelistMethodResolver())
      .build();
  private static final Map<String, Condition> CACHE = new ConcurrentHashMap<>();
  private static final int MAX_CACHED = 10_000;

  private Expressions() {}

  /** A validated boolean expression; thread-safe. */
  public static final class Condition {
    private final String source;
    private final SpelExpression expression;

    private Condition(String source, SpelExpression expression) {
      this.source = source;
      this.expression = expression;
    }

    public String source() {
      return source;
    }

    /**
     * True when the profile matches. An evaluation error (e.g. {@code null > 3} on a missing value,
     * a method on null) counts as no match: a segment rule must never fail the evaluator.
     */
    public boolean test(Profile profile) {
      try {
        return Boolean.TRUE.equals(expression.getValue(CONTEXT, profile, Boolean.class));
      } catch (EvaluationException e) {
        return false;
      }
    }

    @Override
    public String toString() {
      return source;
    }

    /** Whether the expression runs as compiled bytecode by now (tests). */
    boolean compiled() {
      return expression.compileExpression();
    }
  }

  /** Parses and validates, cached by source (definitions repeat). */
  public static Condition parse(String source) {
    Condition cached = CACHE.get(source);
    if (cached != null) {
      return cached;
    }
    Condition c = parseUncached(source);
    if (CACHE.size() < MAX_CACHED) {
      CACHE.put(source, c);
    }
    return c;
  }

  /** Parses and validates without caching (one-off previews). */
  public static Condition parseUncached(String source) {
    if (source == null || source.isBlank()) {
      throw new InvalidExpressionException(0, "expression is empty");
    }
    if (source.length() > MAX_LENGTH) {
      throw new InvalidExpressionException(MAX_LENGTH, "expression is longer than " + MAX_LENGTH + " characters");
    }
    SpelExpression e;
    try {
      e = PARSER.parseRaw(source);
    } catch (SpelParseException ex) {
      throw new InvalidExpressionException(Math.max(0, ex.getPosition()), ex.getSimpleMessage());
    } catch (ParseException ex) {
      throw new InvalidExpressionException(Math.max(0, ex.getPosition()), ex.getMessage());
    }
    SpelNode ast = e.getAST();
    check(ast, Ctx.ROOT);
    if (!isBoolean(ast)) {
      throw new InvalidExpressionException(ast.getStartPosition(), "expression must be boolean (a condition)");
    }
    return new Condition(source, e);
  }

  /** What the node is evaluated against: the profile, its rfm, or some other value. */
  private enum Ctx { ROOT, RFM, OTHER }

  /** Validates {@code node} evaluated against {@code ctx}; returns what it yields. */
  private static Ctx check(SpelNode node, Ctx ctx) {
    if (!ALLOWED_NODES.contains(node.getClass())) {
      throw refuse(node, "not allowed: " + describe(node));
    }
    if (node instanceof CompoundExpression) {
      Ctx c = ctx;
      for (int i = 0; i < node.getChildCount(); i++) {
        c = check(node.getChild(i), c);
      }
      return c;
    }
    if (node instanceof PropertyOrFieldReference p) {
      String name = p.getName();
      return switch (ctx) {
        case ROOT -> {
          if (!PROPERTIES.contains(name)) {
            throw refuse(node, "unknown property '" + name + "'");
          }
          yield "rfm".equals(name) ? Ctx.RFM : Ctx.OTHER;
        }
        case RFM -> {
          if (!RFM_PROPERTIES.contains(name)) {
            throw refuse(node, "unknown property 'rfm." + name + "' (r, f or m)");
          }
          yield Ctx.OTHER;
        }
        case OTHER -> throw refuse(node, "property '" + name + "' can only be read from the profile or rfm; use an indexer ['key'] on maps");
      };
    }
    if (node instanceof VariableReference) {
      String s = node.toStringAST();
      if (!"#root".equals(s) && !"#this".equals(s)) {
        throw refuse(node, "variables are not allowed (only #root and #this)");
      }
      if (ctx != Ctx.ROOT) {
        throw refuse(node, "#root/#this only at the start of a reference");
      }
      return Ctx.ROOT;
    }
    if (node instanceof MethodReference m) {
      if (!METHODS.contains(m.getName())) {
        throw refuse(node, "method '" + m.getName() + "' is not allowed (allowed: " + String.join(", ", METHODS.stream().sorted().toList()) + ")");
      }
      if (ctx != Ctx.OTHER) {
        throw refuse(node, "methods can only be called on a property value");
      }
      checkChildren(node);
      return Ctx.OTHER;
    }
    if (node instanceof Indexer) {
      if (ctx != Ctx.OTHER) {
        throw refuse(node, "an indexer applies to a map or list property");
      }
      checkChildren(node);
      return Ctx.OTHER;
    }
    if (ctx != Ctx.ROOT) {
      throw refuse(node, "unexpected " + describe(node) + " in a reference");
    }
    checkChildren(node);
    return Ctx.OTHER;
  }

  /** Operands, arguments and indexes are evaluated against the root. */
  private static void checkChildren(SpelNode node) {
    for (int i = 0; i < node.getChildCount(); i++) {
      check(node.getChild(i), Ctx.ROOT);
    }
  }

  private static boolean isBoolean(SpelNode node) {
    if (BOOLEAN_OPERATORS.contains(node.getClass())) {
      return true;
    }
    if (node instanceof Ternary) {
      return isBoolean(node.getChild(1)) && isBoolean(node.getChild(2));
    }
    if (node instanceof Elvis) {
      return isBoolean(node.getChild(0)) && isBoolean(node.getChild(1));
    }
    if (node instanceof CompoundExpression) {
      SpelNode last = node.getChild(node.getChildCount() - 1);
      return last instanceof MethodReference m ? BOOLEAN_METHODS.contains(m.getName())
          : last instanceof PropertyOrFieldReference p && node.getChildCount() == 2
          && BOOLEAN_PROPERTIES.contains(p.getName()) && node.getChild(0) instanceof VariableReference;
    }
    return node instanceof PropertyOrFieldReference p && BOOLEAN_PROPERTIES.contains(p.getName());
  }

  private static String describe(SpelNode node) {
    String type = node.getClass().getSimpleName();
    return switch (type) {
      case "TypeReference" -> "type references T(...)";
      case "ConstructorReference" -> "constructors (new)";
      case "BeanReference" -> "bean references (@...)";
      case "Assign" -> "assignment";
      case "FunctionReference" -> "function calls (#f(...))";
      case "OperatorMatches" -> "regular expressions (matches)";
      case "OperatorInstanceof" -> "instanceof";
      case "Selection", "Projection" -> "selection/projection";
      default -> type;
    };
  }

  private static InvalidExpressionException refuse(SpelNode node, String reason) {
    return new InvalidExpressionException(node.getStartPosition(), reason);
  }

  /** Resolves only the whitelisted side-effect-free methods, and only on strings, collections and maps. */
  private static final class WhitelistMethodResolver implements MethodResolver {
    private final ReflectiveMethodResolver delegate = new ReflectiveMethodResolver();

    @Override
    public MethodExecutor resolve(EvaluationContext context, Object target, String name,
                                  List<TypeDescriptor> argumentTypes) throws AccessException {
      if (!METHODS.contains(name)
          || !(target instanceof String || target instanceof java.util.Collection<?> || target instanceof Map<?, ?>)) {
        return null;
      }
      return delegate.resolve(context, target, name, argumentTypes);
    }
  }
}
