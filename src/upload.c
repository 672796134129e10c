/* upload.c - a form with one file field, sent as multipart/form-data (the
 * petition's image, a paper batch's scan): libmicrohttpd's post processor
 * gives the parts (http_multipart()); the declared plain fields are
 * urlencoded again for form_parse(), so they meet the same checks as in
 * any form, and the file is kept up to its limit. */
#include "upload.h"

#include <string.h>
#include <strings.h>

void
upload_init(struct upload *u, const struct form_spec *spec, size_t nspec,
    const char *file_field, size_t file_max, size_t text_max)
{
	*u = (struct upload){ .spec = spec,
		.nspec = nspec,
		.file_field = file_field,
		.file_max = file_max,
		.text_max = text_max };
	buf_init(&u->text);
	buf_init(&u->file);
}

void
upload_free(struct upload *u)
{
	buf_reset(&u->text);
	buf_reset(&u->file);
}

bool
upload_is_multipart(struct request *r)
{
	const char *ct = http_header(r, "Content-Type");

	return ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

static bool
declared(const struct upload *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->nspec; i++)
		if (strcmp(u->spec[i].name, name) == 0)
			return true;
	return false;
}

static int
on_part(void *arg, const char *name, const char *filename, const char *data,
    uint64_t off, size_t size)
{
	struct upload *u = arg;

	if (strcmp(name, u->file_field) == 0) {
		/* The file's name is never kept: only whether there is one
		 * (a browser sends an empty part without a name when no
		 * file was chosen). */
		u->has_file = true;
		if (filename != NULL && filename[0] != '\0')
			u->named = true;
		/* One byte over the limit is enough to say so; the rest is
		 * not kept. */
		if (u->file.len + size > u->file_max + 1)
			size = u->file_max + 1 - u->file.len;
		buf_append(&u->file, data, size);
		return buf_ok(&u->file) ? 0 : -1;
	}
	if (off == 0) {
		u->field_bytes = 0;
		u->field_dropped = !declared(u, name);
		if (!u->field_dropped) {
			if (u->text.len > 0)
				buf_putc(&u->text, '&');
			buf_append_urlenc(&u->text, name, strlen(name));
			buf_putc(&u->text, '=');
		}
	}
	if (u->field_dropped)
		return 0;
	u->field_bytes += size;
	if (u->field_bytes > u->text_max) {
		u->text_too_long = true;
		return 0;
	}
	buf_append_urlenc(&u->text, data, size);
	return buf_ok(&u->text) ? 0 : -1;
}

enum upload_result
upload_read(struct request *r, struct upload *u, struct form_value *v, int *nbad)
{
	size_t i;
	int n;

	*nbad = 0;
	if (http_multipart(r, on_part, u) == -1)
		return buf_ok(&u->text) && buf_ok(&u->file) ? UPLOAD_MALFORMED :
							      UPLOAD_FAILED;
	if (!buf_ok(&u->text))
		return UPLOAD_FAILED;
	if ((n = form_parse(r->arena, u->text.data ? u->text.data : "",
		 u->text.len, u->spec, u->nspec, v)) == -1)
		return UPLOAD_FAILED;
	if (u->text_too_long)
		for (i = 0; i < u->nspec; i++)
			if (v[i].err == FORM_OK &&
			    u->spec[i].kind != FORM_TOKEN) {
				v[i].err = FORM_TOO_LONG;
				n++;
			}
	*nbad = n;
	return UPLOAD_OK;
}
