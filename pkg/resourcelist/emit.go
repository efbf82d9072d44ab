package resourcelist

import (
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// emitter writes what yaml.v3's encoder, with kyaml's settings (indent 2,
// compact sequences, no line width), writes for a node, for the nodes most
// objects are made of: mappings, sequences and scalars without comments,
// anchors, aliases or tags the encoder would write, and scalars in any style
// but folded. Anything else makes it give up, and the item goes to yaml.v3.
//
// It is yaml.v3's emitter (emitterc.go) without events: the same state
// (indent, column, whether the line holds only indentation or ends in
// whitespace) changed by the same steps in the same order, walking the tree
// instead of a queue of events. That is what makes it fast: yaml.v3 queues
// every event of a document in a slice it never shortens, a few hundred
// bytes each, and analyzes each twice. The tests compare the two on every
// item they can find and on fuzzed documents.
type emitter struct {
	buf []byte

	column     int
	whitespace bool // the last character written is whitespace
	indention  bool // the line holds only indentation so far
	openEnded  bool // a kept block scalar ended the text: a document end marker would follow it

	indent    int
	indents   []int
	flowLevel int
	// states is the part of yaml.v3's state stack its indentation reads:
	// whether the node being written is an item of a block sequence.
	states []bool

	// The context of the node being written, as emit_node sets it.
	mappingContext, simpleKeyContext bool
	// wide: sequences in mappings are indented (kyaml's "wide" style), not
	// compact.
	wide bool

	failed bool
}

const bestIndent = 2

// item appends the text of node as an item of the ResourceList's items,
// from its "- " to the line break before whatever follows it, and reports
// whether it could. On false buf holds a partial text, to be cut off.
func (e *emitter) item(node *yaml.Node) bool {
	// The state yaml.v3 is in before an item of the list: at the start of a
	// line, in the items sequence at indent 0.
	e.column, e.whitespace, e.indention, e.openEnded = 0, true, true, false
	e.indent, e.indents, e.flowLevel, e.states = 0, e.indents[:0], 0, e.states[:0]
	e.failed, e.wide = false, false

	e.writeIndicator("-", true, false, true)
	e.states = append(e.states, true)
	e.node(node, false, false)
	e.writeIndent()
	return !e.failed
}

// reset cuts what a failed attempt appended, to try again from dst[:at].
// It is true, to chain.
func (e *emitter) reset(dst []byte, at int) bool {
	e.buf = dst[:at]
	return true
}

// document appends the text of node as a document of a stream, without
// the separator before it, and reports whether it could. A scalar alone
// is left to yaml.v3: it may leave the document open.
func (e *emitter) document(node *yaml.Node, wide bool) bool {
	e.column, e.whitespace, e.indention, e.openEnded = 0, true, true, false
	e.indent, e.indents, e.flowLevel, e.states = -1, e.indents[:0], 0, e.states[:0]
	e.failed, e.wide = false, wide

	if node.Kind == yaml.DocumentNode {
		if len(node.Content) != 1 || node.HeadComment != "" || node.LineComment != "" || node.FootComment != "" {
			return false
		}
		node = node.Content[0]
	}
	if node.Kind != yaml.MappingNode && node.Kind != yaml.SequenceNode {
		return false
	}
	e.states = append(e.states, false)
	e.node(node, false, false)
	e.writeIndent()
	return !e.failed
}

// node is yaml_emitter_emit_node with the encoder's choices (encode.go) for
// the node.
func (e *emitter) node(n *yaml.Node, mapping, simpleKey bool) {
	if e.failed {
		return
	}
	if n == nil || n.Anchor != "" || n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		e.failed = true
		return
	}
	e.mappingContext = mapping
	e.simpleKeyContext = simpleKey
	switch n.Kind {
	case yaml.ScalarNode:
		e.scalar(n)
	case yaml.SequenceNode:
		if !collectionTagDropped(n, "!!seq") {
			e.failed = true
			return
		}
		if e.flowLevel > 0 || n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
			e.flowSequence(n)
		} else {
			e.blockSequence(n)
		}
	case yaml.MappingNode:
		if !collectionTagDropped(n, "!!map") {
			e.failed = true
			return
		}
		if e.flowLevel > 0 || n.Style&yaml.FlowStyle != 0 || len(n.Content) < 2 {
			e.flowMapping(n)
		} else {
			e.blockMapping(n)
		}
	default:
		e.failed = true
	}
}

// collectionTagDropped reports whether the encoder writes no tag for a
// mapping or sequence: none, or the one its kind implies.
func collectionTagDropped(n *yaml.Node, implied string) bool {
	if n.Tag == "" {
		return true
	}
	return n.Style&yaml.TaggedStyle == 0 && shortTag(n.Tag) == implied
}

func (e *emitter) popState() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
	e.states = e.states[:len(e.states)-1]
}

// yaml_emitter_emit_block_sequence_item, from the first item to the end.
func (e *emitter) blockSequence(n *yaml.Node) {
	seq := e.mappingContext && (e.column == 0 || !e.indention) && !e.wide
	e.increaseIndent(false, false, seq)
	for _, item := range n.Content {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.states = append(e.states, true)
		e.node(item, false, false)
		if e.failed {
			return
		}
	}
	e.popState()
}

// yaml_emitter_emit_block_mapping_key and _value, simple keys only.
func (e *emitter) blockMapping(n *yaml.Node) {
	e.increaseIndent(false, false, false)
	for i := 0; i+1 < len(n.Content); i += 2 {
		e.writeIndent()
		if !e.simpleKey(n.Content[i]) {
			e.failed = true
			return
		}
		e.states = append(e.states, false)
		e.node(n.Content[i], true, true)
		e.writeIndicator(":", false, false, false)
		e.states = append(e.states, false)
		e.node(n.Content[i+1], true, false)
		if e.failed {
			return
		}
	}
	e.popState()
}

// yaml_emitter_emit_flow_sequence_item, from the first item to the end.
func (e *emitter) flowSequence(n *yaml.Node) {
	e.writeIndicator("[", true, true, false)
	e.increaseIndent(true, false, false)
	e.flowLevel++
	for i, item := range n.Content {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column == 0 {
			e.writeIndent()
		}
		e.states = append(e.states, false)
		e.node(item, false, false)
		if e.failed {
			return
		}
	}
	e.flowLevel--
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
	if e.column == 0 {
		e.writeIndent()
	}
	e.writeIndicator("]", false, false, false)
	e.states = e.states[:len(e.states)-1]
}

// yaml_emitter_emit_flow_mapping_key and _value, simple keys only.
func (e *emitter) flowMapping(n *yaml.Node) {
	e.writeIndicator("{", true, true, false)
	e.increaseIndent(true, false, false)
	e.flowLevel++
	for i := 0; i+1 < len(n.Content); i += 2 {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column == 0 {
			e.writeIndent()
		}
		if !e.simpleKey(n.Content[i]) {
			e.failed = true
			return
		}
		e.states = append(e.states, false)
		e.node(n.Content[i], true, true)
		e.writeIndicator(":", false, false, false)
		e.states = append(e.states, false)
		e.node(n.Content[i+1], true, false)
		if e.failed {
			return
		}
	}
	e.flowLevel--
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
	e.writeIndicator("}", false, false, false)
	e.states = e.states[:len(e.states)-1]
}

// simpleKey is yaml_emitter_check_simple_key for the keys this emitter
// writes: scalars on one line of at most 128 bytes.
func (e *emitter) simpleKey(k *yaml.Node) bool {
	return k != nil && k.Kind == yaml.ScalarNode && len(k.Value) <= 128 && !hasBreak(k.Value)
}

func hasBreak(s string) bool {
	for i := 0; i < len(s); i++ {
		if isBreak(s, i) {
			return true
		}
	}
	return false
}

// Scalar styles, as yaml.v3 numbers them.
const (
	plainStyle = iota
	singleQuotedStyle
	doubleQuotedStyle
	literalStyle
)

// scalar is the encoder's choice of tag and style (encode.go) and
// yaml_emitter_emit_scalar.
func (e *emitter) scalar(n *yaml.Node) {
	value := n.Value
	forceQuoting := false
	if n.Tag != "" {
		if n.Style&yaml.TaggedStyle != 0 {
			e.failed = true
			return
		}
		stag := shortTag(n.Tag)
		switch {
		case stag == "!!str" && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		case resolvedTag(value) == stag:
		case stag == "!!str":
			forceQuoting = true
		default:
			e.failed = true // the encoder would write the tag
			return
		}
	}
	if !utf8.ValidString(value) {
		e.failed = true // the encoder would write it as !!binary
		return
	}
	style := plainStyle
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		style = doubleQuotedStyle
	case n.Style&yaml.SingleQuotedStyle != 0:
		style = singleQuotedStyle
	case n.Style&yaml.LiteralStyle != 0:
		style = literalStyle
	case n.Style&yaml.FoldedStyle != 0:
		e.failed = true
		return
	case strings.Contains(value, "\n"):
		style = literalStyle
	case forceQuoting:
		style = doubleQuotedStyle
	}

	// yaml_emitter_select_scalar_style
	a := analyzeScalar(value)
	if e.simpleKeyContext && a.multiline {
		style = doubleQuotedStyle
	}
	if style == plainStyle {
		if e.flowLevel > 0 && !a.flowPlainAllowed || e.flowLevel == 0 && !a.blockPlainAllowed {
			style = singleQuotedStyle
		}
		if len(value) == 0 && (e.flowLevel > 0 || e.simpleKeyContext) {
			if isEmptyNull(n) {
				// yaml.v3 would quote it, which makes a null a string:
				// left to the caller, which keeps values (keepValues) or
				// writes what yaml.v3 writes.
				e.failed = true
				return
			}
			style = singleQuotedStyle
		}
	}
	if style == singleQuotedStyle && !a.singleQuotedAllowed {
		style = doubleQuotedStyle
	}
	if style == literalStyle && (!a.blockAllowed || e.flowLevel > 0 || e.simpleKeyContext) {
		style = doubleQuotedStyle
	}

	e.increaseIndent(true, false, false)
	switch style {
	case plainStyle:
		e.writePlain(value)
	case singleQuotedStyle:
		e.writeSingleQuoted(value)
	case doubleQuotedStyle:
		e.writeDoubleQuoted(value)
	case literalStyle:
		e.writeLiteral(value)
	}
	e.popState()
}

// shortTag is yaml.v3's shortTag for a tag that is set.
func shortTag(tag string) string {
	if tag == "!" {
		return tag
	}
	return (&yaml.Node{Kind: yaml.ScalarNode, Tag: tag}).ShortTag()
}

// resolvedTag is the tag yaml.v3 resolves a plain scalar to. A scalar whose
// first character is none of its resolver's hints is a string, as
// yaml.v3's resolve decides before anything else.
func resolvedTag(value string) string {
	if value != "" {
		switch c := value[0]; {
		case c == '+' || c == '-' || c == '.' || c == '~' || '0' <= c && c <= '9':
		case strings.IndexByte("yYnNtTfFoO", c) >= 0:
		default:
			return "!!str"
		}
	}
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: value}).ShortTag()
}

// increaseIndent is yaml_emitter_increase_indent_compact.
func (e *emitter) increaseIndent(flow, indentless, compactSeq bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = bestIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		if len(e.states) == 0 || !e.states[len(e.states)-1] {
			e.indent += bestIndent
		} else {
			e.indent = bestIndent * ((e.indent + bestIndent) / bestIndent)
		}
		if compactSeq {
			e.indent -= 2
		}
	}
}

func (e *emitter) put(c byte) {
	e.buf = append(e.buf, c)
	e.column++
}

func (e *emitter) putBreak() {
	e.buf = append(e.buf, '\n')
	e.column = 0
	e.indention = true
}

// write copies the character at s[i] and returns the index after it.
func (e *emitter) write(s string, i int) int {
	w := width(s[i])
	e.buf = append(e.buf, s[i:i+w]...)
	e.column++
	return i + w
}

func (e *emitter) writeAll(s string) {
	for i := 0; i < len(s); {
		i = e.write(s, i)
	}
}

func (e *emitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return i + 1
	}
	i = e.write(s, i)
	e.column = 0
	e.indention = true
	return i
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || e.column == indent && !e.whitespace {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
}

func (e *emitter) writeIndicator(indicator string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.writeAll(indicator)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
	e.openEnded = false
}

func (e *emitter) writePlain(value string) {
	if len(value) > 0 && !e.whitespace {
		e.put(' ')
	}
	if !hasBreak(value) {
		// What the loop below does to a scalar on one line.
		e.buf = append(e.buf, value...)
		e.column += utf8.RuneCountInString(value)
		if len(value) > 0 {
			e.whitespace = false
		}
		e.indention = false
		return
	}
	breaks := false
	for i := 0; i < len(value); {
		switch {
		case value[i] == ' ':
			// Lines are never too long: no width.
			i = e.write(value, i)
		case isBreak(value, i):
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(value, i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			i = e.write(value, i)
			e.indention = false
			breaks = false
		}
	}
	if len(value) > 0 {
		e.whitespace = false
	}
	e.indention = false
	// Only a root scalar would leave the document open; items never are.
}

func (e *emitter) writeSingleQuoted(value string) {
	e.writeIndicator("'", true, false, false)
	breaks := false
	for i := 0; i < len(value); {
		switch {
		case value[i] == ' ':
			i = e.write(value, i)
		case isBreak(value, i):
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(value, i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if value[i] == '\'' {
				e.put('\'')
			}
			i = e.write(value, i)
			e.indention = false
			breaks = false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeDoubleQuoted(value string) {
	e.writeIndicator("\"", true, false, false)
	bom := len(value) >= 3 && value[0] == 0xEF && value[1] == 0xBB && value[2] == 0xBF
	for i := 0; i < len(value); {
		if !isPrintable(value, i) || bom || isBreak(value, i) || value[i] == '"' || value[i] == '\\' {
			r, w := utf8.DecodeRuneInString(value[i:])
			i += w
			e.put('\\')
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0b:
				e.put('v')
			case 0x0c:
				e.put('f')
			case 0x0d:
				e.put('r')
			case 0x1b:
				e.put('e')
			case 0x22:
				e.put('"')
			case 0x5c:
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				digits := 8
				switch {
				case r <= 0xFF:
					e.put('x')
					digits = 2
				case r <= 0xFFFF:
					e.put('u')
					digits = 4
				default:
					e.put('U')
				}
				for k := (digits - 1) * 4; k >= 0; k -= 4 {
					digit := byte((r >> uint(k)) & 0x0F)
					if digit < 10 {
						e.put(digit + '0')
					} else {
						e.put(digit + 'A' - 10)
					}
				}
			}
			continue
		}
		// Spaces too: lines are never too long.
		i = e.write(value, i)
	}
	e.writeIndicator("\"", false, false, false)
	e.whitespace = false
	e.indention = false
}

// blockScalarHints is yaml_emitter_write_block_scalar_hints.
func (e *emitter) blockScalarHints(value string) {
	if len(value) > 0 && (value[0] == ' ' || isBreak(value, 0)) {
		e.writeIndicator(string(rune('0'+bestIndent)), false, false, false)
	}
	e.openEnded = false
	chomp := ""
	if len(value) == 0 {
		chomp = "-"
	} else {
		i := len(value) - 1
		for value[i]&0xC0 == 0x80 {
			i--
		}
		switch {
		case !isBreak(value, i):
			chomp = "-"
		case i == 0:
			chomp = "+"
			e.openEnded = true
		default:
			i--
			for value[i]&0xC0 == 0x80 {
				i--
			}
			if isBreak(value, i) {
				chomp = "+"
				e.openEnded = true
			}
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
}

func (e *emitter) writeLiteral(value string) {
	e.writeIndicator("|", true, false, false)
	e.blockScalarHints(value)
	e.putBreak() // no line comment
	e.whitespace = true
	breaks := true
	for i := 0; i < len(value); {
		if isBreak(value, i) {
			i = e.writeBreak(value, i)
			breaks = true
		} else {
			if breaks {
				e.writeIndent()
			}
			i = e.write(value, i)
			e.indention = false
			breaks = false
		}
	}
}

// scalarAnalysis is what yaml_emitter_analyze_scalar finds.
type scalarAnalysis struct {
	multiline                                                              bool
	flowPlainAllowed, blockPlainAllowed, singleQuotedAllowed, blockAllowed bool
}

// analyzeScalar is yaml_emitter_analyze_scalar, for the emitter in unicode
// mode.
func analyzeScalar(value string) scalarAnalysis {
	if len(value) == 0 {
		return scalarAnalysis{blockPlainAllowed: true, singleQuotedAllowed: true}
	}
	var blockIndicators, flowIndicators, lineBreaks, specialCharacters, tabCharacters bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var previousSpace, previousBreak bool
	if len(value) >= 3 && (value[:3] == "---" || value[:3] == "...") {
		blockIndicators = true
		flowIndicators = true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(value); i += w {
		c := value[i]
		w = width(c)
		if i > 0 && c < 0x80 && plainASCII[c] {
			// A character of no consequence: none of the cases below.
			previousSpace, previousBreak, precededByWhitespace = false, false, false
			continue
		}
		followedByWhitespace := i+w >= len(value) || value[i+w] == ' ' || value[i+w] == '\t'
		if i == 0 {
			switch value[i] {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowIndicators = true
				blockIndicators = true
			case '?', ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					flowIndicators = true
					blockIndicators = true
				}
			}
		} else {
			switch value[i] {
			case ',', '?', '[', ']', '{', '}':
				flowIndicators = true
			case ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					flowIndicators = true
					blockIndicators = true
				}
			}
		}
		if value[i] == '\t' {
			tabCharacters = true
		} else if !isPrintable(value, i) {
			specialCharacters = true
		}
		switch {
		case value[i] == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(value) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace = true
			previousBreak = false
		case isBreak(value, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(value) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace = false
			previousBreak = true
		default:
			previousSpace = false
			previousBreak = false
		}
		precededByWhitespace = isBlankz(value, i)
	}

	a := scalarAnalysis{multiline: lineBreaks, flowPlainAllowed: true, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
	}
	if spaceBreak || tabCharacters || specialCharacters {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
	}
	if spaceBreak || specialCharacters {
		a.blockAllowed = false
	}
	if lineBreaks {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
	}
	if flowIndicators {
		a.flowPlainAllowed = false
	}
	if blockIndicators {
		a.blockPlainAllowed = false
	}
	return a
}

// plainASCII marks the printable ASCII characters that, after the first,
// change nothing analyzeScalar finds: not space, tab, a line break or an
// indicator.
var plainASCII = func() (t [128]bool) {
	for c := 0x21; c <= 0x7E; c++ {
		t[c] = !strings.ContainsRune(",?[]{}:#", rune(c))
	}
	return t
}()

// The character classes of yaml.v3 (yamlprivateh.go), on valid UTF-8.

func width(b byte) int {
	switch {
	case b&0x80 == 0x00:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

func isPrintable(b string, i int) bool {
	return b[i] == 0x0A ||
		b[i] >= 0x20 && b[i] <= 0x7E ||
		b[i] == 0xC2 && b[i+1] >= 0xA0 ||
		b[i] > 0xC2 && b[i] < 0xED ||
		b[i] == 0xED && b[i+1] < 0xA0 ||
		b[i] == 0xEE ||
		b[i] == 0xEF && !(b[i+1] == 0xBB && b[i+2] == 0xBF) && !(b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF))
}

func isBreak(b string, i int) bool {
	return b[i] == '\r' || b[i] == '\n' ||
		b[i] == 0xC2 && b[i+1] == 0x85 ||
		b[i] == 0xE2 && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9)
}

func isBlankz(b string, i int) bool {
	return b[i] == ' ' || b[i] == '\t' || b[i] == 0 || isBreak(b, i)
}
