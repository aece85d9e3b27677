package registry

import (
	"fmt"
	"net/http"
)

// Confluent Schema Registry error codes (error_code in error bodies).
const (
	CodeSubjectNotFound            = 40401
	CodeVersionNotFound            = 40402
	CodeSchemaNotFound             = 40403
	CodeSubjectSoftDeleted         = 40404
	CodeSubjectNotSoftDeleted      = 40405
	CodeVersionSoftDeleted         = 40406
	CodeVersionNotSoftDeleted      = 40407
	CodeSubjectLevelConfigNotFound = 40408
	CodeIncompatibleSchema         = 409
	CodeInvalidSchema              = 42201
	CodeInvalidVersion             = 42202
	CodeInvalidCompatibilityLevel  = 42203
	CodeInvalidMode                = 42204
	CodeOperationNotPermitted      = 42205
	CodeStoreError                 = 50001
)

// apiError is an error with the HTTP status and the Confluent error code
// the REST API answers with.
type apiError struct {
	status  int
	code    int
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.code, e.message) }

func errSubjectNotFound(subject string) *apiError {
	return &apiError{http.StatusNotFound, CodeSubjectNotFound, fmt.Sprintf("Subject '%s' not found.", subject)}
}

func errVersionNotFound(subject string, version int) *apiError {
	return &apiError{http.StatusNotFound, CodeVersionNotFound, fmt.Sprintf("Version %d not found for subject '%s'.", version, subject)}
}

func errSchemaNotFound(what string) *apiError {
	return &apiError{http.StatusNotFound, CodeSchemaNotFound, fmt.Sprintf("Schema %s not found", what)}
}

func errInvalidSchema(format string, args ...any) *apiError {
	return &apiError{http.StatusUnprocessableEntity, CodeInvalidSchema, fmt.Sprintf(format, args...)}
}

func errInvalidVersion(v string) *apiError {
	return &apiError{http.StatusUnprocessableEntity, CodeInvalidVersion,
		fmt.Sprintf("The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)}
}

func errInvalidCompatibility(level string) *apiError {
	return &apiError{http.StatusUnprocessableEntity, CodeInvalidCompatibilityLevel,
		fmt.Sprintf("Invalid compatibility level '%s'. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive", level)}
}

func errNotPermitted(format string, args ...any) *apiError {
	return &apiError{http.StatusUnprocessableEntity, CodeOperationNotPermitted, fmt.Sprintf(format, args...)}
}

func errStore(err error) *apiError {
	return &apiError{http.StatusInternalServerError, CodeStoreError, "Error in the backend data store: " + err.Error()}
}

func errBadRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, http.StatusBadRequest, fmt.Sprintf(format, args...)}
}
