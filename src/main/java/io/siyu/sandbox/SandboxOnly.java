package io.siyu.sandbox;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/**
 * Registers the annotated bean only in sandbox mode ({@code WecomApps.sandbox()}): a real deployment
 * must never expose the emulator's endpoints. Every bean of this package carries it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(SandboxModeCondition.class)
@interface SandboxOnly {}
