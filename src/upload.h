/* upload.h - a form with one file field, sent as multipart/form-data: its
 * declared plain fields read as form.c reads any form, its file kept up
 * to a limit, undeclared fields dropped. */
#ifndef HOLOS_UPLOAD_H
#define HOLOS_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "form.h"
#include "http.h"

enum upload_result {
	UPLOAD_OK,
	UPLOAD_MALFORMED, /* the body is no multipart/form-data (a 400) */
	UPLOAD_FAILED,	  /* out of memory (a 500) */
	UPLOAD__MAX
};

struct upload {
	/* what upload_init() was given */
	const struct form_spec *spec;
	size_t nspec;
	const char *file_field;
	size_t file_max; /* bytes kept of the file: one more says too big */
	size_t text_max; /* bytes read of a plain field */
	/* what came */
	struct buf text; /* the plain fields, urlencoded for form_parse() */
	struct buf file; /* the file, up to file_max + 1 bytes */
	bool has_file;	 /* a part named file_field came */
	bool named;	 /* with a file name: a file was chosen */
	/* the plain field being read */
	size_t field_bytes;
	bool field_dropped; /* an undeclared one: not kept */
	bool text_too_long; /* some field passed text_max */
};

/* Prepares u for a form of the nspec fields of spec plus the file part
 * file_field (not in spec). Free with upload_free(). */
void upload_init(struct upload *u, const struct form_spec *spec, size_t nspec,
    const char *file_field, size_t file_max, size_t text_max);

void upload_free(struct upload *u);

/* Whether r's body is multipart/form-data (else an urlencoded form, read
 * with page_form_read(): a form sent without its file). */
bool upload_is_multipart(struct request *r);

/* Reads r's multipart body into u and its plain fields into v[nspec] as
 * form_parse() does; a field cut at text_max makes every field that is
 * not a token FORM_TOO_LONG, whichever it was. Sets *nbad to the number of
 * fields in error. Returns UPLOAD_OK, or what went wrong (logged by the
 * caller, which answers in its words). */
enum upload_result upload_read(struct request *r, struct upload *u,
    struct form_value *v, int *nbad);

#endif
