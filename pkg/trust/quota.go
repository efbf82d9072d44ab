package trust

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrQuota is wrapped by every error about output a cloud would refuse for
// its size or count: trust never prints what the cloud would not take.
var ErrQuota = errors.New("over a cloud quota")

// Quota is one limit a cloud sets on what trust prints. Every limit is
// checked through it, so every breach reads the same: the quota by name
// (and code, where the cloud has one), what needed more, and the ways out.
type Quota struct {
	// Cloud and Name say which limit it is: "Azure", "federated identity
	// credentials per identity".
	Cloud, Name string
	// Code is the quota's code in the cloud's quota service (AWS Service
	// Quotas "L-..."), empty where there is none.
	Code string
	// Limit is what the cloud allows by default, in Unit ("credentials",
	// "characters without whitespace").
	Limit int
	Unit  string
	// Flag is the trust command's flag that sets the limit an account has,
	// for a quota the cloud raises on request (or whose figure sources
	// disagree on); Max is the most the cloud grants, 0 where unknown. A
	// quota without a flag is fixed.
	Flag string
	Max  int
	// WaysOut are what the user can do instead, most likely first.
	WaysOut []string
}

// Check returns a *QuotaExceeded when needed is over the limit, else nil.
// what names the thing that needs it ("client ID 0000...").
func (q Quota) Check(what string, needed int) error {
	if needed <= q.Limit {
		return nil
	}
	return &QuotaExceeded{Quota: q, What: what, Needed: needed}
}

// Limits are the limits one run holds its output to where they differ from
// the clouds' defaults, by Quota.Name: what an account's quota was raised
// to (the trust command's quota flags).
type Limits map[string]int

// Check is q.Check with the limit the run holds q to.
func (l Limits) Check(q Quota, what string, needed int) error {
	if limit, ok := l[q.Name]; ok {
		q.Limit = limit
	}
	return q.Check(what, needed)
}

// QuotaExceeded is output a cloud would refuse: What needs Needed of
// something Quota allows less of.
type QuotaExceeded struct {
	Quota  Quota
	What   string
	Needed int
}

// Error names the quota, the size needed and the ways out, a raised quota
// among them where the cloud raises it.
func (e *QuotaExceeded) Error() string {
	q := e.Quota
	name := q.Cloud + " quota " + q.Name
	if q.Code != "" {
		name += " (" + q.Code + ")"
	}
	msg := fmt.Sprintf("%s would need %d %s; the %s is %d", e.What, e.Needed, q.Unit, name, q.Limit)
	waysOut := q.WaysOut
	if q.Flag != "" {
		raise := fmt.Sprintf("if your account's limit is higher, pass it as %s N", q.Flag)
		switch {
		case q.Max > 0 && e.Needed > q.Max:
			raise = fmt.Sprintf("no raised quota helps (%d is the most %s grants)", q.Max, q.Cloud)
		case q.Max > 0:
			raise = fmt.Sprintf("have the quota raised (up to %d) and pass the new limit as %s N", q.Max, q.Flag)
		}
		waysOut = append(append([]string{}, waysOut...), raise)
	}
	if len(waysOut) > 0 {
		msg += "; ways out: " + strings.Join(waysOut, "; ")
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrQuota) hold.
func (e *QuotaExceeded) Unwrap() error { return ErrQuota }

// charactersWithoutWhitespace is the length of a policy document as IAM
// counts it against its quotas: characters, leaving out white space.
func charactersWithoutWhitespace(data []byte) int {
	n := 0
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		data = data[size:]
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
