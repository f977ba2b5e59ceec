package io.siyu.ingress;

import com.ctc.wstx.api.WstxInputProperties;
import com.ctc.wstx.stax.WstxInputFactory;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Streams a WeCom XML document into its leaf elements, in document order. StAX instead of DOM or
 * WxJava's XStream because this runs on every callback (WxJava's parsing costs ~120 µs a call); one
 * shared factory, DTDs refused outright so no entity is ever declared, resolved or expanded. Woodstox
 * rather than the JDK's StAX: creating the JDK's reader (a security and property manager and fresh
 * buffers per document) was the largest single cost of the ack path in the benchmark's profile.
 */
final class CallbackXml {

  /** A leaf element: its path below the root ({@code MemChangeList/Item}) and its text. */
  record Leaf(String path, String value) {}

  /** The document is not well-formed, declares a DTD or references an entity. */
  static final class MalformedXmlException extends Exception {
    MalformedXmlException(String message) {
      super(message, null, false, false);
    }
  }

  private static final XMLInputFactory FACTORY = newFactory();

  private CallbackXml() {}

  private static XMLInputFactory newFactory() {
    XMLInputFactory f = new WstxInputFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
    // Callbacks are small: cap what a hostile (but correctly signed) document could make us build.
    f.setProperty(WstxInputProperties.P_MAX_ELEMENT_DEPTH, 32);
    f.setProperty(WstxInputProperties.P_MAX_ELEMENT_COUNT, 10_000L);
    f.setXMLResolver((publicId, systemId, baseUri, namespace) -> {
      throw new XMLStreamException("external resources are not allowed");
    });
    return f;
  }

  /**
   * Every leaf element of {@code xml} in document order, repeated ones included (so
   * {@code <MemChangeList><Item>a</Item><Item>b</Item></MemChangeList>} gives two leaves).
   */
  static List<Leaf> leaves(String xml) throws MalformedXmlException {
    List<Leaf> leaves = new ArrayList<>(24);
    StringBuilder path = new StringBuilder(32);
    int[] pathLengths = new int[16];
    boolean[] hasChild = new boolean[16];
    StringBuilder text = new StringBuilder(64);
    int depth = 0;
    XMLStreamReader r = null;
    try {
      r = FACTORY.createXMLStreamReader(new StringReader(xml));
      while (r.hasNext()) {
        switch (r.next()) {
          case XMLStreamConstants.START_ELEMENT -> {
            if (depth > 0) {
              hasChild[depth - 1] = true;
            }
            if (depth == pathLengths.length) {
              pathLengths = java.util.Arrays.copyOf(pathLengths, depth * 2);
              hasChild = java.util.Arrays.copyOf(hasChild, depth * 2);
            }
            pathLengths[depth] = path.length();
            hasChild[depth] = false;
            if (depth > 0) {
              // The root (<xml>) is left out of paths.
              if (depth > 1) {
                path.append('/');
              }
              path.append(r.getLocalName());
            }
            depth++;
            text.setLength(0);
          }
          case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
              text.append(r.getTextCharacters(), r.getTextStart(), r.getTextLength());
          case XMLStreamConstants.END_ELEMENT -> {
            depth--;
            if (!hasChild[depth]) {
              leaves.add(new Leaf(path.toString(), text.toString()));
            }
            path.setLength(pathLengths[depth]);
            text.setLength(0);
          }
          case XMLStreamConstants.DTD -> throw new MalformedXmlException("DTD not allowed");
          case XMLStreamConstants.ENTITY_REFERENCE -> throw new MalformedXmlException("entity references not allowed");
          default -> {
            // comments, processing instructions, document start/end carry nothing we keep
          }
        }
      }
    } catch (XMLStreamException | RuntimeException e) {
      throw new MalformedXmlException("not well-formed");
    } finally {
      if (r != null) {
        try {
          r.close();
        } catch (XMLStreamException ignored) {
          // closing a reader over a String cannot fail in a way that matters
        }
      }
    }
    if (leaves.isEmpty()) {
      throw new MalformedXmlException("no elements");
    }
    return leaves;
  }

  /** The text of the first top-level leaf named {@code name}, or null. */
  static String topLevel(List<Leaf> leaves, String name) {
    for (Leaf leaf : leaves) {
      if (leaf.path().equals(name)) {
        return leaf.value();
      }
    }
    return null;
  }
}
