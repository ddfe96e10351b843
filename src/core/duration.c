/* SPDX-License-Identifier: MIT */
/*
 * duration.c — parsing and printing durations. Pure.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/duration.h"

#define MAX_MS (24LL * 3600 * 1000)

/*
 * DIGITS[.DIGITS] or .DIGITS, then the unit: nothing strtod would also take
 * (0x10, 1e3, inf, nan, leading spaces or signs) passes for a number.
 */
static const char *number_end(const char *s)
{
	const char *p = s;
	bool digits = false;

	while (g_ascii_isdigit(*p)) {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (g_ascii_isdigit(*p)) {
			p++;
			digits = true;
		}
	}
	return digits ? p : NULL;
}

bool duration_parse(const char *s, int64_t *ms, GError **error)
{
	const char *unit = NULL;
	char *end = NULL;
	double v, mult;

	if (!s || !(unit = number_end(s)))
		goto bad;
	errno = 0;
	v = g_ascii_strtod(s, &end);
	if (errno || end != unit || !isfinite(v) || v < 0)
		goto bad;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "s") == 0)
		mult = 1000;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		mult = 60000;
	else if (strcmp(unit, "h") == 0)
		mult = 3600000;
	else
		goto bad;
	v *= mult;
	if (v > MAX_MS) {
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"duration '%s' is longer than 24h", s);
		return false;
	}
	/* v is 0..24 h: adding a half and truncating rounds it (no libm) */
	*ms = (int64_t)(v + 0.5);
	return true;
bad:
	if (unit && !*unit)
		/* the one rule for every duration: the unit is written */
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"'%s' has no unit: write %ss (or %sms; a duration is a "
			"number and ms, s, m or h)",
			s, s, s);
	else
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"'%s' is not a duration (write e.g. 500ms, 15s, 2m)",
			s ? s : "");
	return false;
}

char *duration_format(int64_t ms)
{
	if (ms % 60000 == 0 && ms >= 60000)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", ms / 60000);
	if (ms % 1000 == 0 && ms >= 1000)
		return g_strdup_printf("%" G_GINT64_FORMAT "s", ms / 1000);
	if (ms >= 1000 && ms % 100 == 0)
		return g_strdup_printf("%.1fs", (double)ms / 1000.0);
	return g_strdup_printf("%" G_GINT64_FORMAT "ms", ms);
}
