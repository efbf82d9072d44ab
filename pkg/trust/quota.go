package trust

import (
	"errors"
	"fmt"
	"strings"
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
	// Limit is what the cloud allows, in Unit ("credentials", "characters
	// without whitespace").
	Limit int
	Unit  string
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

// QuotaExceeded is output a cloud would refuse: What needs Needed of
// something Quota allows less of.
type QuotaExceeded struct {
	Quota  Quota
	What   string
	Needed int
}

// Error names the quota, the size needed and the ways out.
func (e *QuotaExceeded) Error() string {
	q := e.Quota
	name := q.Cloud + " quota " + q.Name
	if q.Code != "" {
		name += " (" + q.Code + ")"
	}
	msg := fmt.Sprintf("%s would need %d %s; the %s is %d", e.What, e.Needed, q.Unit, name, q.Limit)
	if len(q.WaysOut) > 0 {
		msg += "; ways out: " + strings.Join(q.WaysOut, "; ")
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrQuota) hold.
func (e *QuotaExceeded) Unwrap() error { return ErrQuota }
