package registry

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// ContentType is the media type the registry answers with.
const ContentType = "application/vnd.schemaregistry.v1+json"

// maxBody bounds request bodies; Avro schemas are small.
const maxBody = 8 << 20

func (r *Registry) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { reply(w, map[string]any{}) })
	m.HandleFunc("GET /schemas", r.getSchemas)
	m.HandleFunc("GET /schemas/types", func(w http.ResponseWriter, _ *http.Request) { reply(w, []string{"AVRO"}) })
	m.HandleFunc("GET /schemas/ids/{id}", r.getSchemaByID)
	m.HandleFunc("GET /schemas/ids/{id}/schema", r.getSchemaByID)
	m.HandleFunc("GET /schemas/ids/{id}/versions", r.getIDVersions)
	m.HandleFunc("GET /schemas/ids/{id}/subjects", r.getIDSubjects)
	m.HandleFunc("GET /subjects", r.getSubjects)
	m.HandleFunc("POST /subjects/{subject}", r.postLookup)
	m.HandleFunc("DELETE /subjects/{subject}", r.deleteSubjectH)
	m.HandleFunc("GET /subjects/{subject}/versions", r.getVersions)
	m.HandleFunc("POST /subjects/{subject}/versions", r.postRegister)
	m.HandleFunc("GET /subjects/{subject}/versions/{version}", r.getVersion)
	m.HandleFunc("GET /subjects/{subject}/versions/{version}/schema", r.getVersion)
	m.HandleFunc("GET /subjects/{subject}/versions/{version}/referencedby", r.getReferencedBy)
	m.HandleFunc("DELETE /subjects/{subject}/versions/{version}", r.deleteVersionH)
	m.HandleFunc("POST /compatibility/subjects/{subject}/versions", r.postCompatibility)
	m.HandleFunc("POST /compatibility/subjects/{subject}/versions/{version}", r.postCompatibility)
	m.HandleFunc("GET /config", r.getConfig)
	m.HandleFunc("PUT /config", r.putConfig)
	m.HandleFunc("GET /config/{subject}", r.getConfig)
	m.HandleFunc("PUT /config/{subject}", r.putConfig)
	m.HandleFunc("DELETE /config/{subject}", r.deleteConfig)
	m.HandleFunc("GET /mode", r.getMode)
	m.HandleFunc("GET /mode/{subject}", r.getMode)
	m.HandleFunc("PUT /mode", r.putMode)
	m.HandleFunc("PUT /mode/{subject}", r.putMode)
	m.HandleFunc("GET /contexts", func(w http.ResponseWriter, _ *http.Request) { reply(w, []string{"."}) })
	m.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		fail(w, &apiError{http.StatusNotFound, http.StatusNotFound, "HTTP 404 Not Found: " + req.Method + " " + req.URL.Path})
	})
	return m
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", ContentType)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The client went away; nothing more to do.
		return
	}
}

// replyRaw writes a schema itself as the body (the /schema endpoints).
func replyRaw(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", ContentType)
	_, _ = io.WriteString(w, text)
}

func fail(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": e.code, "message": e.message})
}

func decode(req *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, req.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errBadRequest("empty request body")
		}
		return errBadRequest("Unrecognized request body: %v", err)
	}
	return nil
}

func flag(req *http.Request, name string) bool {
	v, _ := strconv.ParseBool(req.URL.Query().Get(name))
	return v
}

// parseVersion parses a version path element: a positive number, "latest"
// or -1 (latest).
func parseVersion(v string) (n int, latest bool, aerr *apiError) {
	if v == "latest" || v == "-1" {
		return 0, true, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false, errInvalidVersion(v)
	}
	return n, false, nil
}

func parseID(req *http.Request) (int, *apiError) {
	id, err := strconv.Atoi(req.PathValue("id"))
	if err != nil || id < 1 {
		return 0, errSchemaNotFound(req.PathValue("id"))
	}
	return id, nil
}

func (r *Registry) getSchemas(w http.ResponseWriter, req *http.Request) {
	withDeleted := flag(req, "deleted")
	prefix := req.URL.Query().Get("subjectPrefix")
	latestOnly := flag(req, "latestOnly")
	out := []subjectVersion{}
	for _, name := range r.subjectNames(withDeleted) {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		r.mu.RLock()
		vs := r.st.subjects[name].live(withDeleted)
		if latestOnly && len(vs) > 0 {
			vs = vs[len(vs)-1:]
		}
		for _, v := range vs {
			out = append(out, subjectVersion{Subject: name, ID: v.id, Version: v.version, Schema: r.st.byID[v.id].text})
		}
		r.mu.RUnlock()
	}
	reply(w, out)
}

func (r *Registry) getSchemaByID(w http.ResponseWriter, req *http.Request) {
	id, aerr := parseID(req)
	if aerr != nil {
		fail(w, aerr)
		return
	}
	r.mu.RLock()
	ps := r.st.byID[id]
	inSubject := true
	if subject := req.URL.Query().Get("subject"); subject != "" && ps != nil {
		inSubject = false
		if sub := r.st.subjects[subject]; sub != nil {
			for _, v := range sub.versions {
				inSubject = inSubject || v.id == id
			}
		}
	}
	r.mu.RUnlock()
	if ps == nil || !inSubject {
		fail(w, errSchemaNotFound(strconv.Itoa(id)))
		return
	}
	if strings.HasSuffix(req.URL.Path, "/schema") {
		replyRaw(w, ps.text)
		return
	}
	reply(w, map[string]string{"schema": ps.text})
}

// usages returns the subject versions that use id. Caller holds r.mu.
func (r *Registry) usages(id int, withDeleted bool) []subjectVersion {
	out := []subjectVersion{}
	for name, s := range r.st.subjects {
		for _, v := range s.live(withDeleted) {
			if v.id == id {
				out = append(out, subjectVersion{Subject: name, Version: v.version})
			}
		}
	}
	return out
}

func (r *Registry) getIDVersions(w http.ResponseWriter, req *http.Request) {
	us, ok := r.idUsages(w, req)
	if !ok {
		return
	}
	type sv struct {
		Subject string `json:"subject"`
		Version int    `json:"version"`
	}
	out := make([]sv, len(us))
	for i, u := range us {
		out[i] = sv{u.Subject, u.Version}
	}
	reply(w, out)
}

func (r *Registry) getIDSubjects(w http.ResponseWriter, req *http.Request) {
	us, ok := r.idUsages(w, req)
	if !ok {
		return
	}
	out := []string{}
	for _, u := range us {
		if len(out) == 0 || out[len(out)-1] != u.Subject {
			out = append(out, u.Subject)
		}
	}
	reply(w, out)
}

// idUsages is the subject versions, sorted, of the schema id the request
// names (with ?deleted=true, deleted ones too); false when it answered
// with an error instead.
func (r *Registry) idUsages(w http.ResponseWriter, req *http.Request) ([]subjectVersion, bool) {
	id, aerr := parseID(req)
	if aerr != nil {
		fail(w, aerr)
		return nil, false
	}
	r.mu.RLock()
	_, known := r.st.byID[id]
	us := r.usages(id, flag(req, "deleted"))
	r.mu.RUnlock()
	if !known {
		fail(w, errSchemaNotFound(strconv.Itoa(id)))
		return nil, false
	}
	sortUsages(us)
	return us, true
}

func sortUsages(us []subjectVersion) {
	sort.Slice(us, func(i, j int) bool {
		if us[i].Subject != us[j].Subject {
			return us[i].Subject < us[j].Subject
		}
		return us[i].Version < us[j].Version
	})
}

func (r *Registry) getSubjects(w http.ResponseWriter, req *http.Request) {
	names := r.subjectNames(flag(req, "deleted"))
	if prefix := req.URL.Query().Get("subjectPrefix"); prefix != "" {
		kept := names[:0]
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	reply(w, names)
}

func (r *Registry) postRegister(w http.ResponseWriter, req *http.Request) {
	var body schemaRequest
	if aerr := decode(req, &body); aerr != nil {
		fail(w, aerr)
		return
	}
	id, aerr := r.register(req.Context(), req.PathValue("subject"), &body)
	if aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, map[string]int{"id": id})
}

func (r *Registry) postLookup(w http.ResponseWriter, req *http.Request) {
	var body schemaRequest
	if aerr := decode(req, &body); aerr != nil {
		fail(w, aerr)
		return
	}
	sv, aerr := r.lookup(req.PathValue("subject"), &body, flag(req, "deleted"))
	if aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, sv)
}

func (r *Registry) getVersions(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	r.mu.RLock()
	vs, aerr := r.subjectVersions(subject, flag(req, "deleted"))
	r.mu.RUnlock()
	if aerr != nil {
		fail(w, aerr)
		return
	}
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.version
	}
	reply(w, out)
}

func (r *Registry) getVersion(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	r.mu.RLock()
	v, aerr := r.resolveVersion(subject, req.PathValue("version"), flag(req, "deleted"))
	var text string
	if aerr == nil {
		text = r.st.byID[v.id].text
	}
	r.mu.RUnlock()
	if aerr != nil {
		fail(w, aerr)
		return
	}
	if strings.HasSuffix(req.URL.Path, "/schema") {
		replyRaw(w, text)
		return
	}
	reply(w, subjectVersion{Subject: subject, ID: v.id, Version: v.version, Schema: text})
}

func (r *Registry) getReferencedBy(w http.ResponseWriter, req *http.Request) {
	r.mu.RLock()
	_, aerr := r.resolveVersion(req.PathValue("subject"), req.PathValue("version"), false)
	r.mu.RUnlock()
	if aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, []int{}) // references are not supported, so nothing refers
}

func (r *Registry) deleteVersionH(w http.ResponseWriter, req *http.Request) {
	v, aerr := r.deleteVersion(req.Context(), req.PathValue("subject"), req.PathValue("version"), flag(req, "permanent"))
	if aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, v)
}

func (r *Registry) deleteSubjectH(w http.ResponseWriter, req *http.Request) {
	vs, aerr := r.deleteSubject(req.Context(), req.PathValue("subject"), flag(req, "permanent"))
	if aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, vs)
}
