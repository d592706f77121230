package cloudtrail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// MaxRecordBytes bounds one record (or one non-streamed top-level object,
// such as an EventBridge envelope). CloudTrail records are far smaller; a
// larger value is reported as malformed and skipped without being held in
// memory.
const MaxRecordBytes = 8 << 20

// itemKind says where a raw item came from, which decides how it is unwrapped.
type itemKind uint8

// Item kinds.
const (
	// kindRecord is a CloudTrail record (an element of Records, a JSON
	// line, or a lone record object).
	kindRecord itemKind = iota + 1
	// kindLookupEvent is an element of a LookupEvents page's Events list:
	// the record is in its CloudTrailEvent string.
	kindLookupEvent
	// kindObject is a top-level object that is neither a log file nor a
	// page: an EventBridge envelope or a single record, decided later.
	kindObject
)

// errTooLarge marks an item over MaxRecordBytes; it has been skipped.
var errTooLarge = errors.New("item larger than the record size limit")

// splitter reads any of the accepted file formats and yields raw items
// without holding more than one item in memory. It understands:
//
//   - {"Records":[...]} (CloudTrail's S3 log files), streaming the array;
//   - {"Events":[...]} (LookupEvents pages, as the CLI prints them);
//   - any sequence of top-level objects (JSON lines, or one object per file);
//   - a top-level array of any of these.
//
// It does not decode values; that is the parser's job on another core.
type splitter struct {
	r   *bufio.Reader
	buf []byte
	// pos counts bytes consumed, for error messages.
	pos int64
}

// openReader returns a reader of the decompressed bytes of r, recognising
// gzip by its magic number rather than by a file name, because S3 keys and
// downloaded files are not always named .gz.
func openReader(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("open gzip stream: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() error { return nil }, nil
}

func newSplitter(r io.Reader) *splitter {
	return &splitter{r: bufio.NewReaderSize(r, 1<<20)}
}

// peek returns the next non-space byte without consuming it.
func (s *splitter) peek() (byte, error) {
	for {
		buf, err := s.r.Peek(1)
		if len(buf) == 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		n := s.r.Buffered()
		buf, _ = s.r.Peek(n)
		i := 0
		for i < len(buf) && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t') {
			i++
		}
		s.discard(i)
		if i < len(buf) {
			return buf[i], nil
		}
	}
}

// next reads the separator after a member of an array or object: ',' for
// another member, or close, which ends the container (end is true). what
// names the container in the error.
func (s *splitter) next(close byte, what string) (end bool, err error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	s.discard(1)
	switch c {
	case ',':
		return false, nil
	case close:
		return true, nil
	default:
		return false, fmt.Errorf("byte %d: want ',' or '%c' in %s, found %q", s.pos-1, close, what, c)
	}
}

func (s *splitter) discard(n int) {
	_, _ = s.r.Discard(n)
	s.pos += int64(n)
}

func (s *splitter) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("byte %d: want %q, found %q", s.pos, c, got)
	}
	s.discard(1)
	return nil
}

// readValue consumes one JSON value and returns its raw bytes (in a buffer
// reused by the next call). Over MaxRecordBytes it keeps consuming but
// returns errTooLarge. The scan only balances brackets outside strings;
// validation is left to the parser.
func (s *splitter) readValue() ([]byte, error) {
	s.buf = s.buf[:0]
	first, err := s.peek()
	if err != nil {
		return nil, err
	}
	switch first {
	case ',', ']', '}', ':':
		// A separator where a value belongs: "[,", "[1,]".
		return nil, fmt.Errorf("byte %d: want a value, found %q", s.pos, first)
	}
	depth := 0
	inStr, esc, tooBig := false, false, false
	scalar := first != '{' && first != '[' && first != '"'
	for {
		buf, err := s.r.Peek(1)
		if len(buf) == 0 {
			if scalar && len(s.buf) > 0 && errors.Is(err, io.EOF) {
				return s.buf, nil
			}
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		buf, _ = s.r.Peek(s.r.Buffered())
		end := -1
		if scalar {
			for i, c := range buf {
				if c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
					end = i
					break
				}
			}
		} else {
		scan:
			for i := 0; i < len(buf); i++ {
				c := buf[i]
				if inStr {
					if esc {
						esc = false
						continue
					}
					// Most of a record is string content: jump to the next
					// quote (IndexByte is vectorised) and walk byte by byte
					// only where a backslash may escape it.
					q := bytes.IndexByte(buf[i:], '"')
					if q < 0 {
						q = len(buf) - i
					}
					if b := bytes.IndexByte(buf[i:i+q], '\\'); b >= 0 {
						i += b + 1
						esc = true
						if i == len(buf) {
							break
						}
						i-- // the loop's i++ lands on the escaped byte
						continue
					}
					i += q
					if i == len(buf) {
						break
					}
					inStr = false
					if depth == 0 {
						end = i + 1
						break scan
					}
					continue
				}
				switch c {
				case '"':
					inStr = true
				case '{', '[':
					depth++
				case '}', ']':
					depth--
					if depth <= 0 {
						end = i + 1
						break scan
					}
				}
			}
		}
		n := len(buf)
		if end >= 0 {
			n = end
		}
		if !tooBig {
			if len(s.buf)+n > MaxRecordBytes {
				tooBig = true
				s.buf = s.buf[:0]
			} else {
				s.buf = append(s.buf, buf[:n]...)
			}
		}
		s.discard(n)
		if end >= 0 {
			if tooBig {
				return nil, errTooLarge
			}
			return s.buf, nil
		}
	}
}

// readKey consumes a member name and the colon after it.
func (s *splitter) readKey() (string, error) {
	c, err := s.peek()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", fmt.Errorf("byte %d: want a member name, found %q", s.pos, c)
	}
	raw, err := s.readValue()
	if err != nil {
		return "", err
	}
	key := string(raw[1 : len(raw)-1])
	if bytes.IndexByte(raw, '\\') >= 0 {
		key = unescapeKey(raw)
	}
	return key, s.expect(':')
}

// splitSink receives items; returning an error stops the split.
type splitSink func(kind itemKind, raw []byte) error

// malformedSink receives items that could not be framed (too large, or a
// structural error inside an object that the split could recover from).
type malformedSink func(reason string)

// run splits the whole stream. A structural error that leaves the stream
// unreadable ends the run with that error; everything delivered before it
// stands.
func (s *splitter) run(emit splitSink, bad malformedSink) error {
	for {
		c, err := s.peek()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch c {
		case '{':
			if err := s.topObject(emit, bad); err != nil {
				return err
			}
		case '[':
			s.discard(1)
			if err := s.array(kindObject, emit, bad, true); err != nil {
				return err
			}
		default:
			return fmt.Errorf("byte %d: want a JSON object or array, found %q", s.pos, c)
		}
	}
}

// array streams the elements of an array whose '[' is consumed. Elements
// of kind kindObject that are themselves objects are re-examined as
// top-level objects, so a list of log files or pages also streams.
func (s *splitter) array(kind itemKind, emit splitSink, bad malformedSink, nested bool) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == ']' {
		s.discard(1)
		return nil
	}
	for {
		c, err := s.peek()
		if err != nil {
			return err
		}
		if nested && c == '{' {
			if err := s.topObject(emit, bad); err != nil {
				return err
			}
		} else {
			raw, err := s.readValue()
			switch {
			case errors.Is(err, errTooLarge):
				bad(fmt.Sprintf("byte %d: %v", s.pos, err))
			case err != nil:
				return err
			case raw[0] != '{':
				bad(fmt.Sprintf("byte %d: array element is not an object", s.pos))
			default:
				if err := emit(kind, raw); err != nil {
					return err
				}
			}
		}
		if end, err := s.next(']', "array"); end || err != nil {
			return err
		}
	}
}

// topObject handles one top-level object. If its first member is Records
// or Events the arrays are streamed and the rest skipped; otherwise the
// whole object (bounded by MaxRecordBytes) is passed on as kindObject.
func (s *splitter) topObject(emit splitSink, bad malformedSink) error {
	// Peek far enough to see the first member name without consuming:
	// a lone record or an envelope is passed whole.
	head, _ := s.r.Peek(min(s.r.Buffered(), 64))
	if len(head) < 12 {
		head, _ = s.r.Peek(64)
	}
	i := 1
	for i < len(head) && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t') {
		i++
	}
	streamed := bytes.HasPrefix(head[i:], []byte(`"Records"`)) || bytes.HasPrefix(head[i:], []byte(`"Events"`))
	if !streamed {
		raw, err := s.readValue()
		if errors.Is(err, errTooLarge) {
			bad(fmt.Sprintf("byte %d: %v", s.pos, err))
			return nil
		}
		if err != nil {
			return err
		}
		return emit(kindObject, raw)
	}
	s.discard(1) // '{'
	for {
		c, err := s.peek()
		if err != nil {
			return err
		}
		if c == '}' {
			s.discard(1)
			return nil
		}
		key, err := s.readKey()
		if err != nil {
			return err
		}
		c, err = s.peek()
		if err != nil {
			return err
		}
		switch {
		case key == "Records" && c == '[':
			s.discard(1)
			if err := s.array(kindRecord, emit, bad, false); err != nil {
				return err
			}
		case key == "Events" && c == '[':
			s.discard(1)
			if err := s.array(kindLookupEvent, emit, bad, false); err != nil {
				return err
			}
		default:
			if _, err := s.readValue(); err != nil && !errors.Is(err, errTooLarge) {
				return err
			}
		}
		if end, err := s.next('}', "object"); end || err != nil {
			return err
		}
	}
}
