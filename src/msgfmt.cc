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

struct msgfmt {
	icu::MessageFormat *fmt;
	std::vector<std::string> names;
	std::mutex lock;
};

extern "C" struct msgfmt *
msgfmt_open(const char *locale, const char *pattern, size_t len, char *err,
    size_t errlen)
{
	UErrorCode e = U_ZERO_ERROR;
	UParseError pe;
	icu::UnicodeString pat = icu::UnicodeString::fromUTF8(
	    icu::StringPiece(pattern, (int32_t)len));
	msgfmt *m = new (std::nothrow) msgfmt();

	if (m == nullptr) {
		snprintf(err, errlen, "out of memory");
		return nullptr;
	}
	m->fmt = new icu::MessageFormat(pat, icu::Locale(locale), pe, e);
	if (m->fmt == nullptr || U_FAILURE(e)) {
		snprintf(err, errlen, "%s at offset %d", u_errorName(e),
		    (int)pe.offset);
		delete m->fmt;
		delete m;
		return nullptr;
	}
	/* Collect the argument names from ICU's own parse of the pattern. */
	icu::MessagePattern mp(pat, nullptr, e);
	if (U_FAILURE(e)) {
		snprintf(err, errlen, "%s", u_errorName(e));
		delete m->fmt;
		delete m;
		return nullptr;
	}
	for (int32_t i = 0; i < mp.countParts(); i++) {
		const icu::MessagePattern::Part &p = mp.getPart(i);
		std::string name;

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
