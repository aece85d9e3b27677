package registry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
)

var errClosed = errors.New("registry is closed")

// schemaRequest is the body of register, lookup and compatibility calls.
type schemaRequest struct {
	Schema     string            `json:"schema"`
	SchemaType string            `json:"schemaType,omitempty"`
	References []json.RawMessage `json:"references,omitempty"`
	ID         int               `json:"id,omitempty"`
	Version    int               `json:"version,omitempty"`
}

// subjectVersion is the answer of version lookups.
type subjectVersion struct {
	Subject    string `json:"subject"`
	ID         int    `json:"id"`
	Version    int    `json:"version"`
	SchemaType string `json:"schemaType,omitempty"`
	Schema     string `json:"schema"`
}

// parseRequest validates the schema of a request.
func parseRequest(req *schemaRequest) (*parsedSchema, *apiError) {
	if t := strings.ToUpper(req.SchemaType); t != "" && t != "AVRO" {
		return nil, errInvalidSchema("Invalid schema type %s: this embedded registry supports AVRO only", req.SchemaType)
	}
	if len(req.References) > 0 {
		return nil, errInvalidSchema("Invalid schema: schema references are not supported by this embedded registry")
	}
	if strings.TrimSpace(req.Schema) == "" {
		return nil, errInvalidSchema("Invalid schema: empty schema")
	}
	ps, err := parseAvro(req.Schema)
	if err != nil {
		return nil, errInvalidSchema("Invalid schema %s, details: %v", req.Schema, err)
	}
	return ps, nil
}

// level returns the compatibility level in force for subject.
func (r *Registry) level(subject string) string {
	if s := r.st.subjects[subject]; s != nil && s.level != "" {
		return s.level
	}
	if r.st.global != "" {
		return r.st.global
	}
	return r.cfg.DefaultCompatibility
}

// schemasOf returns the parsed schemas of versions, in order.
func (r *Registry) schemasOf(vs []version) []avro.Schema {
	out := make([]avro.Schema, 0, len(vs))
	for _, v := range vs {
		if ps := r.st.byID[v.id]; ps != nil {
			out = append(out, ps.avro)
		}
	}
	return out
}

// register registers a schema under subject and returns its id.
func (r *Registry) register(ctx context.Context, subject string, req *schemaRequest) (int, *apiError) {
	if req.ID > 0 || req.Version > 0 {
		return 0, errNotPermitted("Registering with an explicit id or version needs IMPORT mode, which this embedded registry does not support")
	}
	ps, aerr := parseRequest(req)
	if aerr != nil {
		return 0, aerr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		return 0, errStore(errClosed)
	}
	// Another instance may have written since: read the log first.
	if err := r.catchUp(ctx); err != nil {
		return 0, errStore(err)
	}
	sub := r.st.subjects[subject]
	var live []version
	if sub != nil {
		live = sub.live(false)
		for _, v := range live {
			if r.st.byID[v.id].canon == ps.canon {
				return v.id, nil
			}
		}
	}
	if msgs := checkCompatibility(r.level(subject), ps.avro, r.schemasOf(live)); len(msgs) > 0 {
		return 0, &apiError{http.StatusConflict, CodeIncompatibleSchema,
			"Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\", details: [" + strings.Join(msgs, "; ") + "]"}
	}
	id, known := r.st.byCanon[ps.canon]
	text := ps.text
	if known {
		text = r.st.byID[id].text
	} else {
		id = r.st.maxID + 1
	}
	next := 1
	if sub != nil && len(sub.versions) > 0 {
		next = sub.versions[len(sub.versions)-1].version + 1
	}
	rec, err := schemaRecord(schemaValue{Subject: subject, Version: next, ID: id, Schema: text})
	if err != nil {
		return 0, errStore(err)
	}
	if err := r.commit(ctx, rec); err != nil {
		return 0, errStore(err)
	}
	r.log.InfoContext(ctx, "registry: registered schema", "subject", subject, "version", next, "id", id)
	return id, nil
}

// lookup finds the version of subject that holds the schema of req.
func (r *Registry) lookup(subject string, req *schemaRequest, withDeleted bool) (subjectVersion, *apiError) {
	ps, aerr := parseRequest(req)
	if aerr != nil {
		return subjectVersion{}, aerr
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	sub := r.st.subjects[subject]
	if sub == nil || len(sub.live(withDeleted)) == 0 {
		return subjectVersion{}, errSubjectNotFound(subject)
	}
	vs := sub.live(withDeleted)
	for i := len(vs) - 1; i >= 0; i-- {
		if s := r.st.byID[vs[i].id]; s.canon == ps.canon {
			return subjectVersion{Subject: subject, ID: vs[i].id, Version: vs[i].version, Schema: s.text}, nil
		}
	}
	return subjectVersion{}, errSchemaNotFound("")
}

// subjectVersions returns the versions of subject.
func (r *Registry) subjectVersions(subject string, withDeleted bool) ([]version, *apiError) {
	sub := r.st.subjects[subject]
	if sub == nil {
		return nil, errSubjectNotFound(subject)
	}
	vs := sub.live(withDeleted)
	if len(vs) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	return vs, nil
}

// resolveVersion finds one version of subject; v is a number, "latest" or
// "-1". Caller holds r.mu.
func (r *Registry) resolveVersion(subject, v string, withDeleted bool) (version, *apiError) {
	n, latest, aerr := parseVersion(v)
	if aerr != nil {
		return version{}, aerr
	}
	sub := r.st.subjects[subject]
	if sub == nil || len(sub.live(true)) == 0 {
		return version{}, errSubjectNotFound(subject)
	}
	if latest {
		if l, ok := sub.latest(); ok {
			return l, nil
		}
		if withDeleted {
			return sub.versions[len(sub.versions)-1], nil
		}
		return version{}, errSubjectNotFound(subject)
	}
	i, ok := sub.find(n)
	if !ok || (sub.versions[i].deleted && !withDeleted) {
		return version{}, errVersionNotFound(subject, n)
	}
	return sub.versions[i], nil
}

// subjects lists subject names, sorted.
func (r *Registry) subjectNames(withDeleted bool) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []string{}
	for name, s := range r.st.subjects {
		if len(s.live(withDeleted)) > 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// deleteVersion soft-deletes (or, when permanent, removes) one version.
func (r *Registry) deleteVersion(ctx context.Context, subject, v string, permanent bool) (int, *apiError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		return 0, errStore(errClosed)
	}
	if err := r.catchUp(ctx); err != nil {
		return 0, errStore(err)
	}
	ver, aerr := r.resolveVersion(subject, v, permanent)
	if aerr != nil {
		return 0, aerr
	}
	rec, aerr := r.deletionRecord(subject, ver, permanent)
	if aerr != nil {
		return 0, aerr
	}
	if err := r.commit(ctx, rec); err != nil {
		return 0, errStore(err)
	}
	return ver.version, nil
}

func (r *Registry) deletionRecord(subject string, ver version, permanent bool) (logRecord, *apiError) {
	var (
		rec logRecord
		err error
	)
	switch {
	case permanent && !ver.deleted:
		return rec, &apiError{http.StatusNotFound, CodeVersionNotSoftDeleted,
			"Subject '" + subject + "' Version " + strconv.Itoa(ver.version) + " was not deleted first before being permanently deleted"}
	case permanent:
		rec, err = schemaTombstone(subject, ver.version)
	case ver.deleted:
		return rec, &apiError{http.StatusNotFound, CodeVersionSoftDeleted,
			"Subject '" + subject + "' Version " + strconv.Itoa(ver.version) + " was soft deleted. Set permanent=true to delete permanently"}
	default:
		rec, err = schemaRecord(schemaValue{Subject: subject, Version: ver.version, ID: ver.id, Schema: r.st.byID[ver.id].text, Deleted: true})
	}
	if err != nil {
		return rec, errStore(err)
	}
	return rec, nil
}

// deleteSubject soft-deletes (or, when permanent, removes) every version.
func (r *Registry) deleteSubject(ctx context.Context, subject string, permanent bool) ([]int, *apiError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		return nil, errStore(errClosed)
	}
	if err := r.catchUp(ctx); err != nil {
		return nil, errStore(err)
	}
	sub := r.st.subjects[subject]
	if sub == nil || len(sub.versions) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	live := sub.live(false)
	switch {
	case permanent && len(live) > 0:
		return nil, &apiError{http.StatusNotFound, CodeSubjectNotSoftDeleted,
			"Subject '" + subject + "' was not deleted first before being permanently deleted"}
	case !permanent && len(live) == 0:
		return nil, &apiError{http.StatusNotFound, CodeSubjectSoftDeleted,
			"Subject '" + subject + "' was soft deleted. Set permanent=true to delete permanently"}
	}
	var (
		recs []logRecord
		nums []int
	)
	for _, v := range slices.Clone(sub.versions) {
		rec, aerr := r.deletionRecord(subject, v, permanent)
		if aerr != nil {
			return nil, aerr
		}
		recs = append(recs, rec)
		nums = append(nums, v.version)
	}
	if permanent && sub.level != "" {
		rec, err := configRecord(subject, "")
		if err != nil {
			return nil, errStore(err)
		}
		recs = append(recs, rec)
	}
	if err := r.commit(ctx, recs...); err != nil {
		return nil, errStore(err)
	}
	return nums, nil
}

// setLevel sets (or, with level "", removes) the compatibility level of a
// subject, or the global one when subject is "".
func (r *Registry) setLevel(ctx context.Context, subject, level string) *apiError {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		return errStore(errClosed)
	}
	rec, err := configRecord(subject, level)
	if err != nil {
		return errStore(err)
	}
	if err := r.commit(ctx, rec); err != nil {
		return errStore(err)
	}
	return nil
}
