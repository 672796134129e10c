// msgfmt.cc - ICU MessageFormat with named arguments, behind a C interface.
#include "msgfmt.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <unicode/fmtable.h>
#include <unicode/messagepattern.h>
#include <unicode/msgfmt.h>
#include <unicode/unistr.h>

/* fmt is built from pattern at the first format, under lock: building ICU's
 * number, plural and spell-out formatters for every message of every
 * language took half of holos' start-up, and most are never used by a
 * given process (a CLI command, a node that sends no mail). */
struct msgfmt {
	icu::MessageFormat *fmt;
	icu::UnicodeString pattern;
	icu::Locale locale;
	std::vector<std::string> names;
	std::mutex lock;
};

/* The argument types ICU's MessageFormat knows. */
static const char *const arg_types[] = { "number", "date", "time", "spellout",
	"ordinal", "duration", "plural", "select", "selectordinal", "choice" };

extern "C" struct msgfmt *
msgfmt_open(const char *locale, const char *pattern, size_t len, char *err,
    size_t errlen)
{
	UErrorCode e = U_ZERO_ERROR;
	UParseError pe;
	msgfmt *m = new (std::nothrow) msgfmt();

	if (m == nullptr) {
		snprintf(err, errlen, "out of memory");
		return nullptr;
	}
	m->fmt = nullptr;
	m->pattern = icu::UnicodeString::fromUTF8(
	    icu::StringPiece(pattern, (int32_t)len));
	m->locale = icu::Locale(locale);
	/* ICU's own parse of the pattern: its syntax, the argument names,
	 * and each argument's type. */
	icu::MessagePattern mp(m->pattern, &pe, e);
	if (U_FAILURE(e)) {
		snprintf(err, errlen, "%s at offset %d", u_errorName(e),
		    (int)pe.offset);
		delete m;
		return nullptr;
	}
	for (int32_t i = 0; i < mp.countParts(); i++) {
		const icu::MessagePattern::Part &p = mp.getPart(i);
		std::string name;

		if (p.getType() == UMSGPAT_PART_TYPE_ARG_TYPE) {
			bool known = false;
			mp.getSubstring(p).toUTF8String(name);
			for (const char *t : arg_types)
				known = known || name == t;
			if (!known) {
				snprintf(err, errlen,
				    "unknown argument type \"%s\" at offset %d",
				    name.c_str(), (int)p.getIndex());
				delete m;
				return nullptr;
			}
			continue;
		}
		if (p.getType() != UMSGPAT_PART_TYPE_ARG_NAME)
			continue;
		mp.getSubstring(p).toUTF8String(name);
		bool seen = false;
		for (const std::string &n : m->names)
			seen = seen || n == name;
		if (!seen)
			m->names.push_back(name);
	}
	return m;
}

/* Builds m's formatter if it has none; m->lock is held. Returns 0, or -1
 * with ICU's error in err (when errlen > 0). */
static int
build_locked(struct msgfmt *m, char *err, size_t errlen)
{
	UErrorCode e = U_ZERO_ERROR;
	UParseError pe;

	if (m->fmt != nullptr)
		return 0;
	m->fmt = new icu::MessageFormat(m->pattern, m->locale, pe, e);
	if (m->fmt == nullptr || U_FAILURE(e)) {
		if (errlen > 0)
			snprintf(err, errlen, "%s",
			    m->fmt == nullptr ? "out of memory" :
						u_errorName(e));
		delete m->fmt;
		m->fmt = nullptr;
		return -1;
	}
	return 0;
}

extern "C" int
msgfmt_build(struct msgfmt *m, char *err, size_t errlen)
{
	std::lock_guard<std::mutex> g(m->lock);
	return build_locked(m, err, errlen);
}

extern "C" void
msgfmt_close(struct msgfmt *m)
{
	if (m == nullptr)
		return;
	delete m->fmt;
	delete m;
}

extern "C" size_t
msgfmt_arg_count(const struct msgfmt *m)
{
	return m->names.size();
}

extern "C" const char *
msgfmt_arg_name(const struct msgfmt *m, size_t i)
{
	return m->names[i].c_str();
}

extern "C" char *
msgfmt_format(struct msgfmt *m, const struct msgfmt_arg *args, size_t n,
    size_t *outlen)
{
	std::vector<icu::UnicodeString> names;
	std::vector<icu::Formattable> values;
	icu::UnicodeString out;
	UErrorCode e = U_ZERO_ERROR;
	std::string utf8;
	char *ret;

	try {
		for (size_t i = 0; i < n; i++) {
			names.push_back(
			    icu::UnicodeString::fromUTF8(args[i].name));
			switch (args[i].type) {
			case MSGFMT_NUMBER:
				if (args[i].num == (double)(int64_t)args[i].num)
					values.emplace_back(
					    (int64_t)args[i].num);
				else
					values.emplace_back(args[i].num);
				break;
			case MSGFMT_DATE:
				values.emplace_back(args[i].num,
				    icu::Formattable::kIsDate);
				break;
			case MSGFMT_STRING:
				values.emplace_back(icu::UnicodeString::fromUTF8(
				    args[i].str ? args[i].str : ""));
				break;
			}
		}
		for (const std::string &want : m->names) {
			bool found = false;
			for (size_t i = 0; i < n; i++)
				found = found || want == args[i].name;
			if (!found)
				return nullptr;
		}
		{
			std::lock_guard<std::mutex> g(m->lock);
			if (build_locked(m, nullptr, 0) != 0)
				return nullptr;
			m->fmt->format(names.data(), values.data(),
			    (int32_t)names.size(), out, e);
		}
		if (U_FAILURE(e))
			return nullptr;
		out.toUTF8String(utf8);
	} catch (...) {
		return nullptr;
	}
	if ((ret = (char *)malloc(utf8.size() + 1)) == nullptr)
		return nullptr;
	memcpy(ret, utf8.data(), utf8.size() + 1);
	*outlen = utf8.size();
	return ret;
}
