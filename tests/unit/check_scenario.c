/* SPDX-License-Identifier: MIT */
/*
 * check_scenario.c — the scenario parser: what valid files turn into, and
 * every error of an invalid file, each at its FILE:LINE:COL.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bondcheck/scenario.h"
#include "helpers/hostile.h"
#include "suites.h"

static char *errors_of(const char *text, GHashTable *vars, bool reboot_cmd)
{
	struct scenario_options o = { vars, reboot_cmd };
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse(text, strlen(text), "t.scn", &o,
		&errs);
	GString *out = g_string_new("");

	for (guint i = 0; errs && i < errs->len; i++) {
		char *m = scn_error_format(g_ptr_array_index(errs, i));

		g_string_append_printf(out, "%s\n", m);
		g_free(m);
	}
	ck_assert(!s == (errs && errs->len > 0));
	scenario_free(s);
	if (errs)
		g_ptr_array_free(errs, TRUE);
	return g_string_free(out, FALSE);
}

/* a file -> the exact errors (empty: valid) */
static const struct {
	const char *text;
	const char *errors;
} cases[] = {
	{ "scan\n", "" },
	{ "# only\n\n   # comments\nscan   # and a trailing one\n", "" },
	{ "scan timeot=5s\n",
		"t.scn:1:6: unknown parameter 'timeot' for scan (did you "
		"mean 'timeout'?)\n" },
	{ "conect\n", "t.scn:1:1: unknown step 'conect' (did you mean "
		      "'connect'?)\n" },
	{ "scan timeout=5\n", "t.scn:1:14: timeout: '5' has no unit: write 5s "
			      "(or 5ms; a duration is a number and ms, s, m or "
			      "h)\n" },
	{ "read 2a6x\n", "t.scn:1:6: '2a6x' is not a UUID (use 16-bit like "
			 "2a6e or 128-bit like "
			 "0000181a-0000-1000-8000-00805f9b34fb)\n" },
	{ "read\n", "t.scn:1:5: read needs a characteristic UUID\n" },
	{ "write 2a6e zz\n", "t.scn:1:12: 'zz' is not hex bytes (write e.g. "
			     "01ff)\n" },
	{ "write 2a6e 123\n", "t.scn:1:12: '123' is not hex bytes (write "
			      "e.g. 01ff)\n" },
	{ "read 2a6e expect=0x1\n", "t.scn:1:18: expect= takes hex bytes "
				    "like 01ff, not '0x1'\n" },
	{ "pair bond=maybe\n", "t.scn:1:11: bond= takes yes or no, not "
			       "'maybe'\n" },
	{ "pair passkey=1000000\n", "t.scn:1:14: passkey= takes 0 to 999999, "
				    "not '1000000'\n" },
	{ "scan \"unterminated\n", "t.scn:1:6: unterminated quote (\")\n" },
	{ "scan 'also\n", "t.scn:1:6: unterminated quote (')\n" },
	{ "end\n", "t.scn:1:1: end without repeat or each-central\n" },
	{ "repeat 2\n  scan\n", "t.scn:1:1: repeat without end\n" },
	{ "repeat 0\n scan\nend\n", "t.scn:1:8: repeat takes a count from 1 "
				    "to 1000000\n" },
	{ "repeat 2\nend\n", "t.scn:2:1: empty repeat block (line 1)\n" },
	{ "read ${UUID}\n", "t.scn:1:6: undefined variable 'UUID' (define it "
			    "with 'set UUID=...' or --set UUID=...)\n" },
	{ "set X=2a6e\nread ${X}\n", "" },
	{ "set 9X=1\nscan\n", "t.scn:1:5: set takes NAME=VALUE (a name of "
			      "letters, digits and _), not '9X=1'\n" },
	{ "reboot via=serial\n", "t.scn:1:1: reboot via=serial needs "
				 "port=/dev/tty...\n" },
	{ "reboot via=command\n", "t.scn:1:1: reboot via=command needs "
				  "cmd=... (or run with --reboot-cmd)\n" },
	{ "reboot cmd=x\n", "" }, /* via is chosen at run time */
	{ "reboot via=gatt cmd=x\n", "t.scn:1:1: cmd= only applies to "
				     "via=command\n" },
	{ "reboot via=telepathy\n",
		"t.scn:1:12: via= takes sim, command, "
		"serial, gatt or manual, not 'telepathy'\n" },
	{ "reboot kind=graceful\nreboot kind=hard via=manual\n", "" },
	{ "reboot kind=gracefull\n", "t.scn:1:13: kind= takes hard or "
				     "graceful, not 'gracefull' (did you mean "
				     "'graceful'?)\n" },
	{ "reboot kind=soft\n", "t.scn:1:13: kind= takes hard or graceful, "
				"not 'soft'\n" },
	{ "reboot via=serial port=/dev/ttyACM0 send=\\\\q\n",
		"t.scn:1:42: send= needs text; escapes are \\r \\n \\t \\\\ "
		"and \\xNN\n" },
	{ "expect\n", "t.scn:1:1: expect needs at least one PROP=yes|no "
		      "(connected, paired, bonded, trusted, "
		      "services-resolved)\n" },
	{ "expect bonded=perhaps\n", "t.scn:1:15: bonded= takes yes or no, "
				     "not 'perhaps'\n" },
	{ "sleep\n", "t.scn:1:6: sleep needs a duration\n" },
	{ "sleep 1s 2s\n", "t.scn:1:10: unexpected '2s' (sleep takes a "
			   "duration)\n" },
	{ "trust now\n", "t.scn:1:7: unexpected 'now' (trust takes no "
			 "positional arguments, only key=value)\n" },
	{ "scenario\nscan\n", "t.scn:1:1: scenario takes one title (quote "
			      "it: scenario \"My title\")\n" },
	{ "scenario \"A\"\nscenario \"B\"\nscan\n",
		"t.scn:2:1: a second scenario title (the first is on line 1)\n" },
	{ "", "t.scn:1:1: no steps (a scenario needs at least one, e.g. "
	      "scan)\n" },
	{ "# nothing\n", "t.scn:1:1: no steps (a scenario needs at least one, "
			 "e.g. scan)\n" },
	/* every error of a file at once, in order */
	{ "conect\nscan timeout=x\nread\nend\n",
		"t.scn:1:1: unknown step 'conect' (did you mean 'connect'?)\n"
		"t.scn:2:14: timeout: 'x' is not a duration (write e.g. 500ms, "
		"15s, 2m)\n"
		"t.scn:3:5: read needs a characteristic UUID\n"
		"t.scn:4:1: end without repeat or each-central\n" },
	{ "repeat 2\n repeat 3\n  scan\n end\n", "t.scn:1:1: repeat without "
						 "end\n" },
	{ "scan\r\nconnect\r\n", "" },
	/* centrals: the header, as= on every step, each-central */
	{ "central A\ncentral B adapter=hci1\nscan as=B\nsleep 1s as=A\n", "" },
	{ "central privacy=on\nscan\n", "" },
	{ "central\nscan\n", "" },
	{ "central A privacy=off adapter=hci3\nscan\n", "" },
	{ "central phone count=3\nscan as=phone3\n", "" },
	{ "central A\ncentral B\neach-central\n scan\nend\n", "" },
	{ "central A\ncentral B\neach-central B A\n scan\n pair as=A\nend\n",
		"" },
	{ "scan as=A\n", "t.scn:1:9: unknown central 'A' (this file declares "
			 "none: add a header line 'central A')\n" },
	{ "central phone\ncentral laptop\nscan as=phnoe\n",
		"t.scn:3:9: unknown central 'phnoe' (did you mean 'phone'?) "
		"(declared: phone, laptop)\n" },
	{ "central A adapter=hci1\ncentral B adapter=hci1\nscan\n",
		"t.scn:2:19: adapter hci1 is already central A's (line 1): each "
		"central needs an adapter of its own\n" },
	{ "central A\ncentral A\nscan\n",
		"t.scn:2:9: central 'A' is "
		"declared twice (first on line 1)\n" },
	{ "central A count=2\ncentral A2\nscan\n",
		"t.scn:2:9: central 'A2' "
		"is declared twice (first on line 1)\n" },
	{ "central privacy=on\ncentral B\nscan\n",
		"t.scn:1:1: with several "
		"centrals each needs a name (central NAME ...): this one has "
		"none\n" },
	{ "scan\ncentral A\n", "t.scn:2:1: central lines come before the "
			       "first step (line 1)\n" },
	{ "central A adapter=usb0\nscan\n",
		"t.scn:1:19: adapter= takes an "
		"adapter name like hci0, not 'usb0'\n" },
	{ "central A privacy=maybe\nscan\n", "t.scn:1:19: privacy= takes on "
					     "or off, not 'maybe'\n" },
	{ "central A adaptor=hci0\nscan\n",
		"t.scn:1:11: unknown parameter "
		"'adaptor' for central (did you mean 'adapter'?) (it takes a "
		"name, adapter=, privacy= and count=)\n" },
	{ "central A B\nscan\n", "t.scn:1:11: central takes one name ('B' "
				 "would be a second)\n" },
	{ "central 1st\nscan\n",
		"t.scn:1:9: '1st' is not a central name (up "
		"to 32 letters, digits, - and _, starting with a letter)\n" },
	{ "central count=2\nscan\n",
		"t.scn:1:15: count= needs a name: "
		"'central NAME count=N' declares NAME1 to NAMEN\n" },
	{ "central P count=2 adapter=hci0\nscan\n",
		"t.scn:1:27: adapter= "
		"names one adapter: not with count= (each of the N centrals "
		"gets its own)\n" },
	{ "central P count=17\nscan\n", "t.scn:1:17: count= takes 1 to 16, "
					"not '17'\n" },
	{ "central A\neach-central C\n scan\nend\n",
		"t.scn:2:14: unknown "
		"central 'C' (declared: A)\n" },
	{ "central A\neach-central as=A\n scan\nend\n",
		"t.scn:2:14: "
		"each-central takes names of centrals, not 'as=A'\n" },
	{ "each-central\nend\n", "t.scn:2:1: empty each-central block "
				 "(line 1)\n" },
	{ "each-central\n scan\n", "t.scn:1:1: each-central without end\n" },
	{ "central A\nrepeat 2\n central B\n scan\nend\n",
		"t.scn:3:2: "
		"central lines come before the first step (line 2)\n" },
	/* every error of a file with centrals at once, each at its place */
	{ "central A adapter=hci0\ncentral B adapter=hci0\nscan as=B\n"
	  "pair as=C\nsleep 1s as=\n",
		"t.scn:2:19: adapter hci0 is already central A's (line 1): each "
		"central needs an adapter of its own\n"
		"t.scn:4:9: unknown central 'C' (declared: A, B)\n"
		"t.scn:5:13: as= needs the name of a central (declared: A, B)\n" },
	{ "scan\nscan \xff\n", "t.scn:2:1: this line is not valid UTF-8\n" },
	/* each parameter's own check */
	{ "pair io=keyboard\n",
		"t.scn:1:9: io= takes one of DisplayOnly, "
		"DisplayYesNo, KeyboardOnly, NoInputNoOutput, KeyboardDisplay, "
		"not 'keyboard'\n" },
	{ "reboot via=comand\n",
		"t.scn:1:12: via= takes sim, command, "
		"serial, gatt or manual, not 'comand' (did you mean "
		"'command'?)\n" },
	{ "reboot via=serial port=/dev/x baud=9\n",
		"t.scn:1:36: baud= takes "
		"a rate like 115200, not '9'\n" },
	{ "reboot via=command cmd=\n", "t.scn:1:24: cmd= is empty\n" },
	{ "reboot via=serial port=\n", "t.scn:1:24: port= is empty\n" },
	{ "reboot via=gatt value=0g\n", "t.scn:1:23: value= takes hex bytes "
					"like 01ff, not '0g'\n" },
	{ "reboot via=sim char=2a6e\n", "t.scn:1:1: char= and value= only "
					"apply to via=gatt\n" },
	{ "write 2a6e 01 type=both\n", "t.scn:1:20: type= takes request or "
				       "command, not 'both'\n" },
	{ "write 2a6e\n", "t.scn:1:6: write needs a characteristic UUID and "
			  "a hex value\n" },
	{ "sleep 1s timeout=2s\n", "t.scn:1:10: sleep takes no parameters\n" },
	{ "expect timeout=1s\n",
		"t.scn:1:1: expect needs at least one "
		"PROP=yes|no (connected, paired, bonded, trusted, "
		"services-resolved)\n" },
	{ "expect connected=yes timeout=x\n",
		"t.scn:1:30: timeout: 'x' is not "
		"a duration (write e.g. 500ms, 15s, 2m)\n" },
	{ "expect conected=yes\n", "t.scn:1:8: unknown parameter 'conected' "
				   "for expect (did you mean 'connected'?)\n" },
	{ "disconnect bond=yes\n", "t.scn:1:12: unknown parameter 'bond' for "
				   "disconnect\n" },
	{ "pair via=sim\n", "t.scn:1:6: unknown parameter 'via' for pair (did "
			    "you mean 'io'?)\n" },
	{ "sett X=1\n", "t.scn:1:1: unknown step 'sett' (did you mean "
			"'set'?)\n" },
	/* expect-adv */
	{ "expect-adv name=mpy-temp uuid=181a,2a6e uuid=b0dc0001-0000-4000-"
	  "8000-00805f9b34fb manufacturer=0x05f1:0102 appearance=768\n"
	  "expect-adv \"name=my sensor\" manufacturer=1521:ff "
	  "appearance=0x0300 timeout=5s\n",
		"" },
	{ "expect-adv\n", "t.scn:1:1: expect-adv needs at least one of name=, "
			  "uuid=, manufacturer=, appearance=\n" },
	{ "expect-adv timeout=1s\n",
		"t.scn:1:1: expect-adv needs at least one "
		"of name=, uuid=, manufacturer=, appearance=\n" },
	{ "expect-adv name=\n", "t.scn:1:17: name= is empty\n" },
	{ "expect-adv uuid=181a,18zz\n",
		"t.scn:1:22: '18zz' is not a UUID "
		"(use 16-bit like 2a6e or 128-bit like "
		"0000181a-0000-1000-8000-00805f9b34fb)\n" },
	{ "expect-adv manufacturer=05f1\n",
		"t.scn:1:25: manufacturer= takes "
		"ID:HEX, a company ID (0x05f1 or 1521) and hex bytes, not "
		"'05f1'\n" },
	{ "expect-adv manufacturer=0x10000:01\n",
		"t.scn:1:25: manufacturer= "
		"takes ID:HEX, a company ID (0x05f1 or 1521) and hex bytes, not "
		"'0x10000:01'\n" },
	{ "expect-adv manufacturer=0x05f1:0g\n",
		"t.scn:1:25: manufacturer= "
		"takes ID:HEX, a company ID (0x05f1 or 1521) and hex bytes, not "
		"'0x05f1:0g'\n" },
	{ "expect-adv appearance=65536\n",
		"t.scn:1:23: appearance= takes 0 "
		"to 65535 (768, or 0x0300), not '65536'\n" },
	{ "expect-adv appearance=-1\n", "t.scn:1:23: appearance= takes 0 to "
					"65535 (768, or 0x0300), not '-1'\n" },
	{ "expect-adv nme=x\n", "t.scn:1:12: unknown parameter 'nme' for "
				"expect-adv (did you mean 'name'?)\n" },
	{ "expect-adv mpy-temp\n",
		"t.scn:1:12: unexpected 'mpy-temp' "
		"(expect-adv takes no positional arguments, only key=value)\n" },
	/* pair method= and confirm= */
	{ "pair method=just-works\npair method=numeric-comparison "
	  "confirm=accept\npair method=passkey-entry passkey=123456\n"
	  "pair confirm=reject io=DisplayYesNo\n",
		"" },
	{ "pair method=numeric\n",
		"t.scn:1:13: method= takes just-works, "
		"numeric-comparison or passkey-entry, not 'numeric'\n" },
	{ "pair method=just-work\n",
		"t.scn:1:13: method= takes just-works, "
		"numeric-comparison or passkey-entry, not 'just-work' (did you "
		"mean 'just-works'?)\n" },
	{ "pair method=\n", "t.scn:1:13: method= takes just-works, "
			    "numeric-comparison or passkey-entry, not ''\n" },
	{ "pair confirm=no\n", "t.scn:1:14: confirm= takes accept or reject, "
			       "not 'no'\n" },
	{ "pair confrim=reject\n", "t.scn:1:6: unknown parameter 'confrim' "
				   "for pair (did you mean 'confirm'?)\n" },
	{ "connect method=just-works\n", "t.scn:1:9: unknown parameter "
					 "'method' for connect\n" },
	/* read and write expect-error= */
	{ "read 2a6e expect-error=not-permitted\nwrite 2a6e 01 "
	  "expect-error=not-authorized type=request\nread 2a6e "
	  "expect-error=att-0x80\nread 2a6e expect-error=ATT-0X0E\n",
		"" },
	{ "read 2a6e expect-error=not-permited\n",
		"t.scn:1:24: expect-error= "
		"takes a BlueZ error name (failed, in-progress, not-permitted, "
		"not-authorized, not-supported, not-connected, "
		"invalid-arguments, invalid-offset, invalid-value-length, "
		"not-paired, does-not-exist, not-available, not-ready) or an ATT "
		"error as att-0xNN, not 'not-permited' (did you mean "
		"'not-permitted'?)\n" },
	{ "write 2a6e 01 expect-error=NotPermitted\n",
		"t.scn:1:28: "
		"expect-error= takes a BlueZ error name (failed, in-progress, "
		"not-permitted, not-authorized, not-supported, not-connected, "
		"invalid-arguments, invalid-offset, invalid-value-length, "
		"not-paired, does-not-exist, not-available, not-ready) or an ATT "
		"error as att-0xNN, not 'NotPermitted'\n" },
	{ "read 2a6e expect-error=att-0x00\n",
		"t.scn:1:24: expect-error= "
		"takes a BlueZ error name (failed, in-progress, not-permitted, "
		"not-authorized, not-supported, not-connected, "
		"invalid-arguments, invalid-offset, invalid-value-length, "
		"not-paired, does-not-exist, not-available, not-ready) or an ATT "
		"error as att-0xNN, not 'att-0x00' (did you mean 'att-0x80'?)\n" },
	{ "read 2a6e expect-error=\n",
		"t.scn:1:24: expect-error= takes a "
		"BlueZ error name (failed, in-progress, not-permitted, "
		"not-authorized, not-supported, not-connected, "
		"invalid-arguments, invalid-offset, invalid-value-length, "
		"not-paired, does-not-exist, not-available, not-ready) or an ATT "
		"error as att-0xNN, not ''\n" },
	{ "read 2a6e expect=01 expect-error=failed\n",
		"t.scn:1:1: read takes "
		"expect= or expect-error=, not both\n" },
	{ "subscribe 2a6e expect-error=failed\n",
		"t.scn:1:16: unknown "
		"parameter 'expect-error' for subscribe\n" },
	/* expect-notify expect=, expect-no-notify for= */
	{ "expect-notify 2a6e expect=2909 timeout=5s\n", "" },
	{ "expect-notify 2a6e expect=29g9\n",
		"t.scn:1:27: expect= takes "
		"hex bytes like 01ff, not '29g9'\n" },
	{ "expect-notify 2a6e expect=\n", "t.scn:1:27: expect= takes hex "
					  "bytes like 01ff, not ''\n" },
	{ "expect-notify 2a6e expct=01\n",
		"t.scn:1:20: unknown parameter "
		"'expct' for expect-notify (did you mean 'expect'?)\n" },
	{ "expect-no-notify 2a6e\nexpect-no-notify 2a6e for=500ms\n", "" },
	{ "expect-no-notify\n", "t.scn:1:17: expect-no-notify needs a "
				"characteristic UUID\n" },
	{ "expect-no-notify 2a6x\n",
		"t.scn:1:18: '2a6x' is not a UUID (use "
		"16-bit like 2a6e or 128-bit like "
		"0000181a-0000-1000-8000-00805f9b34fb)\n" },
	{ "expect-no-notify 2a6e for=2\n",
		"t.scn:1:27: for: '2' has no "
		"unit: write 2s (or 2ms; a duration is a number and ms, s, m or "
		"h)\n" },
	{ "expect-no-notify 2a6e for=0s\n",
		"t.scn:1:27: for= takes a "
		"duration longer than 0, not '0s'\n" },
	{ "expect-no-notify 2a6e timeout=1s\n",
		"t.scn:1:23: unknown "
		"parameter 'timeout' for expect-no-notify\n" },
	{ "expect-no-notify 2a6e expect=01\n",
		"t.scn:1:23: unknown "
		"parameter 'expect' for expect-no-notify\n" },
};

START_TEST(files_parse_or_report_every_error)
{
	char *got = errors_of(cases[_i].text, NULL, false);

	ck_assert_msg(strcmp(got, cases[_i].errors) == 0,
		"input:\n%s\ngot:\n%swant:\n%s", cases[_i].text, got,
		cases[_i].errors);
	g_free(got);
}
END_TEST

/* every step: its name, and the default timeout doc/scenario-language.md
 * gives it */
static const struct {
	const char *line;
	enum scn_step_type type;
	int64_t timeout_ms;
} defaults[] = {
	{ "scan", SCN_STEP_SCAN, 15000 },
	{ "connect", SCN_STEP_CONNECT, 15000 },
	{ "pair", SCN_STEP_PAIR, 30000 },
	{ "trust", SCN_STEP_TRUST, 5000 },
	{ "disconnect", SCN_STEP_DISCONNECT, 10000 },
	{ "reboot", SCN_STEP_REBOOT, 30000 },
	{ "reconnect", SCN_STEP_RECONNECT, 15000 },
	{ "read 2a6e", SCN_STEP_READ, 10000 },
	{ "write 2a6e 01", SCN_STEP_WRITE, 10000 },
	{ "subscribe 2a6e", SCN_STEP_SUBSCRIBE, 10000 },
	{ "expect-notify 2a6e", SCN_STEP_EXPECT_NOTIFY, 30000 },
	{ "expect connected=yes", SCN_STEP_EXPECT, 0 },
	{ "remove-bond", SCN_STEP_REMOVE_BOND, 10000 },
	{ "sleep 1s", SCN_STEP_SLEEP, 0 },
	{ "expect-no-notify 2a6e", SCN_STEP_EXPECT_NO_NOTIFY, 0 },
	{ "expect-adv name=x", SCN_STEP_EXPECT_ADV, 0 },
};

START_TEST(each_step_has_its_name_and_documented_timeout)
{
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse(defaults[_i].line,
		strlen(defaults[_i].line), "d.scn", NULL, &errs);
	struct scn_step *st;
	size_t n = strcspn(defaults[_i].line, " ");

	ck_assert_msg(s, "%s: %u errors", defaults[_i].line, errs->len);
	st = g_ptr_array_index(s->steps, 0);
	ck_assert_int_eq(st->type, defaults[_i].type);
	ck_assert_int_eq(strlen(scn_step_type_to_str(st->type)), n);
	ck_assert(!strncmp(scn_step_type_to_str(st->type), defaults[_i].line,
		n));
	ck_assert_int_eq(st->timeout_ms, defaults[_i].timeout_ms);
	ck_assert_int_eq(scn_default_timeout(st->type),
		defaults[_i].timeout_ms);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

/* the values of the checks' parameters land in the step */
START_TEST(check_parameters_land_in_their_steps)
{
	const char *text =
		"expect-no-notify 2a6e\n"
		"expect-no-notify 2a6e for=750ms\n"
		"expect-notify 2a6e expect=2909\n"
		"read 2a6e expect-error=ATT-0x0E\n"
		"pair method=passkey-entry confirm=reject\n"
		"pair\n"
		"expect-adv name=t uuid=181a,2a6e manufacturer=0x05f1:0102 "
		"appearance=0x0300\n"
		"expect-adv uuid=181a\n";
	struct scenario *s = scenario_parse(text, strlen(text), "p.scn", NULL,
		NULL);
	struct scn_step *st;
	gsize n;
	const guint8 *d;

	ck_assert_ptr_nonnull(s);
	st = g_ptr_array_index(s->steps, 0);
	ck_assert_int_eq(st->sleep_ms, SCN_DEFAULT_NO_NOTIFY_MS);
	ck_assert_str_eq(st->uuid, "00002a6e-0000-1000-8000-00805f9b34fb");
	st = g_ptr_array_index(s->steps, 1);
	ck_assert_int_eq(st->sleep_ms, 750);
	st = g_ptr_array_index(s->steps, 2);
	d = g_bytes_get_data(st->value, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(d[0] == 0x29 && d[1] == 0x09);
	st = g_ptr_array_index(s->steps, 3);
	ck_assert_str_eq(st->expect_error, "att-0x0e");
	st = g_ptr_array_index(s->steps, 4);
	ck_assert_int_eq(st->method, SCN_METHOD_PASSKEY_ENTRY);
	ck_assert(st->reject);
	st = g_ptr_array_index(s->steps, 5);
	ck_assert_int_eq(st->method, SCN_METHOD_ANY);
	ck_assert(!st->reject);
	st = g_ptr_array_index(s->steps, 6);
	ck_assert_str_eq(st->adv_name, "t");
	ck_assert_uint_eq(st->adv_uuids->len, 2);
	ck_assert_str_eq(g_ptr_array_index(st->adv_uuids, 1),
		"00002a6e-0000-1000-8000-00805f9b34fb");
	ck_assert_int_eq(st->adv_mfr_id, 0x05f1);
	ck_assert_uint_eq(g_bytes_get_size(st->adv_mfr), 2);
	ck_assert_int_eq(st->adv_appearance, 768);
	st = g_ptr_array_index(s->steps, 7);
	ck_assert_ptr_null(st->adv_name);
	ck_assert_int_eq(st->adv_mfr_id, -1);
	ck_assert_int_eq(st->adv_appearance, -1);
	scenario_free(s);
}
END_TEST

START_TEST(the_flagship_parses_into_its_steps)
{
	const char *text =
		"scenario \"Bond survives reboot\"\n"
		"set CYCLES=3\n"
		"scan\n"
		"pair bond=yes io=DisplayYesNo passkey=123456 timeout=45s\n"
		"repeat ${CYCLES}\n"
		"  reboot via=gatt char=b0dc0002-0000-4000-8000-00805f9b34fb "
		"value=01 kind=graceful\n"
		"  reconnect timeout=2m\n"
		"  read 2a6e expect=0929\n"
		"end\n"
		"write 2A6E \"01ff\" type=command\n"
		"expect connected=no bonded=yes\n"
		"sleep 1.5s\n";
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse(text, strlen(text), "f.scn", NULL,
		&errs);
	struct scn_step *pair, *rep, *rb, *rc, *rd, *wr, *ex, *sl;
	gsize n;

	ck_assert_int_eq(errs->len, 0);
	ck_assert_str_eq(s->name, "Bond survives reboot");
	ck_assert_int_eq(s->steps->len, 6);
	ck_assert_int_eq(s->total_steps, 2 + 3 * 3 + 3);
	ck_assert_int_eq(strlen(s->sha256), 64);
	pair = g_ptr_array_index(s->steps, 1);
	ck_assert_int_eq(pair->type, SCN_STEP_PAIR);
	ck_assert(pair->bond);
	ck_assert_str_eq(pair->io, "DisplayYesNo");
	ck_assert_int_eq(pair->passkey, 123456);
	ck_assert_int_eq(pair->timeout_ms, 45000);
	rep = g_ptr_array_index(s->steps, 2);
	ck_assert_int_eq(rep->type, SCN_STEP_REPEAT);
	ck_assert_int_eq(rep->count, 3);
	rb = g_ptr_array_index(rep->children, 0);
	ck_assert_int_eq(rb->via, SCN_VIA_GATT);
	ck_assert(rb->via_given);
	ck_assert_int_eq(rb->kind, SCN_REBOOT_GRACEFUL);
	ck_assert(rb->kind_given);
	ck_assert_str_eq(rb->uuid, SCN_REBOOT_UUID);
	ck_assert_int_eq(g_bytes_get_size(rb->value), 1);
	rc = g_ptr_array_index(rep->children, 1);
	ck_assert_int_eq(rc->timeout_ms, 120000);
	ck_assert_int_eq(rc->line, 7);
	rd = g_ptr_array_index(rep->children, 2);
	ck_assert_str_eq(rd->uuid, "00002a6e-0000-1000-8000-00805f9b34fb");
	ck_assert_int_eq(((const guint8 *)g_bytes_get_data(rd->value, &n))[1],
		0x29);
	wr = g_ptr_array_index(s->steps, 3);
	ck_assert(wr->write_command);
	ck_assert_int_eq(g_bytes_get_size(wr->value), 2);
	ex = g_ptr_array_index(s->steps, 4);
	ck_assert_int_eq(ex->expects->len, 2);
	ck_assert_int_eq(g_array_index(ex->expects, struct scn_expect, 0).prop,
		SCN_PROP_CONNECTED);
	ck_assert(!g_array_index(ex->expects, struct scn_expect, 0).value);
	sl = g_ptr_array_index(s->steps, 5);
	ck_assert_int_eq(sl->sleep_ms, 1500);
	/* the default timeout of a step is its documented one */
	ck_assert_int_eq(((struct scn_step *)g_ptr_array_index(s->steps, 0))
				 ->timeout_ms,
		15000);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

START_TEST(centrals_and_as_parse_into_the_scenario)
{
	const char *text = "set N=3\n"
			   "central laptop adapter=hci2 privacy=off\n"
			   "central phone count=${N} privacy=on\n"
			   "scan\n"
			   "each-central phone2 laptop\n"
			   "  connect\n"
			   "  pair as=phone1\n"
			   "end\n"
			   "each-central\n"
			   "  reconnect\n"
			   "end\n"
			   "sleep 1s as=phone3\n";
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse(text, strlen(text), "c.scn", NULL,
		&errs);
	const struct scn_central *c;
	struct scn_step *scan, *e1, *e2, *conn, *pair, *sl;

	ck_assert_int_eq(errs->len, 0);
	ck_assert_int_eq(s->centrals->len, 4);
	c = g_ptr_array_index(s->centrals, 0);
	ck_assert_str_eq(c->name, "laptop");
	ck_assert_str_eq(c->adapter, "hci2");
	ck_assert_int_eq(c->privacy, SCN_PRIVACY_OFF);
	ck_assert_int_eq(c->line, 2);
	c = g_ptr_array_index(s->centrals, 3);
	ck_assert_str_eq(scn_central_label(c), "phone3");
	ck_assert_ptr_null(c->adapter);
	ck_assert_int_eq(c->privacy, SCN_PRIVACY_ON);
	ck_assert_int_eq(scenario_find_central(s, "phone2"), 2);
	ck_assert_int_eq(scenario_find_central(s, "tablet"), -1);
	/* 1 + 2 x 2 + 4 x 1 + 1 */
	ck_assert_int_eq(s->total_steps, 10);
	scan = g_ptr_array_index(s->steps, 0);
	ck_assert(!scan->central_given);
	ck_assert_int_eq(scn_step_central(scan, -1), 0);
	e1 = g_ptr_array_index(s->steps, 1);
	ck_assert_int_eq(e1->type, SCN_STEP_REPEAT);
	ck_assert_int_eq(e1->count, 2);
	ck_assert_int_eq(e1->each->len, 2);
	ck_assert_int_eq(g_array_index(e1->each, unsigned, 0), 2);
	ck_assert_int_eq(g_array_index(e1->each, unsigned, 1), 0);
	conn = g_ptr_array_index(e1->children, 0);
	pair = g_ptr_array_index(e1->children, 1);
	/* inside the block: the block's central unless as= says otherwise */
	ck_assert_int_eq(scn_step_central(conn, 2), 2);
	ck_assert(pair->central_given);
	ck_assert_int_eq(scn_step_central(pair, 2), 1);
	e2 = g_ptr_array_index(s->steps, 2);
	ck_assert_int_eq(e2->each->len, 4);
	ck_assert_int_eq(e2->count, 4);
	sl = g_ptr_array_index(s->steps, 3);
	ck_assert_int_eq(scn_step_central(sl, -1), 3);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

START_TEST(a_file_without_centrals_has_one_implicit_central)
{
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse("scan\n", 5, "i.scn", NULL, &errs);
	const struct scn_central *c;

	ck_assert_int_eq(errs->len, 0);
	ck_assert_int_eq(s->centrals->len, 1);
	c = g_ptr_array_index(s->centrals, 0);
	ck_assert_ptr_null(c->name);
	ck_assert_ptr_null(c->adapter);
	ck_assert_int_eq(c->privacy, SCN_PRIVACY_DEFAULT);
	ck_assert_int_eq(c->line, 0);
	ck_assert_str_eq(scn_central_label(c), "default");
	ck_assert_int_eq(scenario_find_central(s, NULL), 0);
	ck_assert_int_eq(scenario_find_central(s, "default"), 0);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);

	/* `central privacy=on`: the single central, unnamed */
	s = scenario_parse("central privacy=on\nscan\n", 24, "i.scn", NULL,
		&errs);
	ck_assert_int_eq(errs->len, 0);
	c = g_ptr_array_index(s->centrals, 0);
	ck_assert_ptr_null(c->name);
	ck_assert_int_eq(c->privacy, SCN_PRIVACY_ON);
	ck_assert_int_eq(c->line, 1);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

START_TEST(command_line_variables_win_over_the_file)
{
	const char *text = "set CYCLES=3\nrepeat ${CYCLES}\n scan\nend\n";
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	struct scenario_options o = { vars, false };
	GPtrArray *errs = NULL;
	struct scenario *s;

	g_hash_table_insert(vars, (gpointer) "CYCLES", (gpointer) "7");
	s = scenario_parse(text, strlen(text), "v.scn", &o, &errs);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->total_steps, 7);
	ck_assert_str_eq(g_hash_table_lookup(s->vars, "CYCLES"), "7");
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
	g_hash_table_destroy(vars);
}
END_TEST

START_TEST(reboot_cmd_on_the_command_line_satisfies_via_command)
{
	char *e = errors_of("reboot via=command\n", NULL, true);

	ck_assert_str_eq(e, "");
	g_free(e);
}
END_TEST

START_TEST(quoting_and_escapes)
{
	const char *text = "scenario 'It''s'\n"
			   "reboot via=serial port=\"/dev/tty S0\" "
			   "send=\"\\\\x03reset()\\\\r\"\n";
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse(text, strlen(text), "q.scn", NULL,
		&errs);
	struct scn_step *r;
	gsize n;
	const char *d;

	ck_assert_msg(s, "%u errors", errs->len);
	ck_assert_str_eq(s->name, "Its");
	r = g_ptr_array_index(s->steps, 0);
	ck_assert_str_eq(r->port, "/dev/tty S0");
	d = g_bytes_get_data(r->send, &n);
	ck_assert_int_eq(n, 9);
	ck_assert_int_eq(d[0], 0x03);
	ck_assert_int_eq(d[8], '\r');
	ck_assert_int_eq(r->baud, 115200);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

START_TEST(the_shipped_scenarios_are_valid)
{
	char *dir = g_build_filename(getenv("BONDCHECK_SRCDIR") ?
					     getenv("BONDCHECK_SRCDIR") :
					     ".",
		"scenarios", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		GPtrArray *errs = NULL;
		struct scenario *s;

		if (!g_str_has_suffix(name, ".scn")) {
			g_free(path);
			continue;
		}
		s = scenario_load(path, NULL, &errs);
		ck_assert_msg(s, "%s: %s", name,
			errs->len ?
				((struct scn_error *)g_ptr_array_index(errs, 0))
					->message :
				"?");
		n++;
		scenario_free(s);
		g_ptr_array_free(errs, TRUE);
		g_free(path);
	}
	ck_assert_int_ge(n, 7);
	g_dir_close(d);
	g_free(dir);
}
END_TEST

START_TEST(a_missing_file_is_an_error_not_a_crash)
{
	GPtrArray *errs = NULL;

	ck_assert_ptr_null(scenario_load("/nonexistent/x.scn", NULL, &errs));
	ck_assert_int_eq(errs->len, 1);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

START_TEST(nul_bytes_are_refused)
{
	const char text[] = "scan\0connect\n";
	GPtrArray *errs = NULL;

	ck_assert_ptr_null(scenario_parse(text, sizeof(text) - 1, "n.scn", NULL,
		&errs));
	ck_assert_int_ge(errs->len, 1);
	g_ptr_array_free(errs, TRUE);
}
END_TEST

/* ---- limits: hostile files, each stopped at its place ------------------ */

/* The 22 doubling lines of the report (V0 of 16 bytes: 64 MiB), used. */
static GString *doubling(void)
{
	return hostile_doubling("read ${V22}\n");
}

static GString *deep_200k(void)
{
	return hostile_repeats(200000, 200000);
}

static GString *deep_unclosed(void)
{
	/* as deep as fits in SCN_MAX_SIZE */
	return hostile_repeats(29000, 0);
}

/* @head, @n times @c, then @tail */
static GString *padded(const char *head, int n, char c, const char *tail)
{
	GString *t = g_string_new(head);

	for (int i = 0; i < n; i++)
		g_string_append_c(t, c);
	g_string_append(t, tail);
	return t;
}

static GString *long_line(void)
{
	return padded("scan # ", 9000, 'x', "\n");
}

static GString *long_value(void)
{
	return padded("set V=", 5000, 'x', "\nscan\n");
}

static GString *many_errors(void)
{
	GString *t = g_string_new("");

	for (int i = 0; i < 5000; i++)
		g_string_append(t, "conect\n");
	return t;
}

static GString *oversized(void)
{
	GString *t = g_string_new("");

	while (t->len <= (size_t)SCN_MAX_SIZE)
		g_string_append(t, "scan\n");
	return t;
}

static GString *long_word(void)
{
	GString *t = g_string_new("");

	for (int i = 0; i < 8000; i++)
		g_string_append_c(t, i % 2 ? 'y' : 'x');
	g_string_append_c(t, '\n');
	return t;
}

/* a file -> how many errors, the first and the last (exactly) */
static const struct {
	const char *name;
	GString *(*make)(void);
	unsigned count;
	const char *first;
	const char *last;
} limits[] = {
	{ "doubling variables", doubling, 0,
		"t.scn:10:13: the line is longer than 8192 bytes once ${V8} "
		"is expanded",
		"t.scn:24:6: undefined variable 'V22' (define "
		"it with 'set V22=...' or --set V22=...)" },
	{ "200,000 nested repeats", deep_200k, 1,
		"t.scn:29128:2: the scenario is longer than 262144 bytes "
		"(256 KiB); it goes on past here",
		NULL },
	{ "29,000 nested repeats, no end", deep_unclosed, 9,
		"t.scn:1:1: repeat without end",
		"t.scn:9:1: repeat blocks nest at most 8 deep" },
	{ "10^12 steps", hostile_steps, 1,
		"t.scn:5:1: the scenario runs more than 100000000 steps "
		"(repeats expanded)",
		NULL },
	{ "a 9000-byte line", long_line, 1,
		"t.scn:1:8193: the line is longer than 8192 bytes", NULL },
	{ "a 5000-byte value", long_value, 1,
		"t.scn:1:7: the value of V is 5000 bytes long; a value has at "
		"most 4096",
		NULL },
	{ "1.2 MB of expansion", hostile_expansion, 1,
		"t.scn:264:24: ${...} adds more than 1048576 bytes to the "
		"scenario by here",
		NULL },
	{ "5000 errors", many_errors, 101,
		"t.scn:1:1: unknown step 'conect' (did you mean 'connect'?)",
		"t.scn:101:1: more than 100 errors; stopping here" },
	{ "over 256 KiB", oversized, 1,
		"t.scn:52429:5: the scenario is longer than 262144 bytes "
		"(256 KiB); it goes on past here",
		NULL },
};

START_TEST(hostile_files_stop_at_their_place)
{
	GString *t = limits[_i].make();
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_parse(t->str, t->len, "t.scn", NULL,
		&errs);
	char *first, *last;
	gsize total = 0;

	ck_assert_msg(!s, "%s: parsed", limits[_i].name);
	ck_assert_uint_ge(errs->len, 1);
	if (limits[_i].count)
		ck_assert_msg(errs->len == limits[_i].count, "%s: %u errors",
			limits[_i].name, errs->len);
	first = scn_error_format(g_ptr_array_index(errs, 0));
	last = scn_error_format(g_ptr_array_index(errs, errs->len - 1));
	ck_assert_str_eq(first, limits[_i].first);
	if (limits[_i].last)
		ck_assert_str_eq(last, limits[_i].last);
	/* what is said about a file is bounded, whatever the file */
	for (guint i = 0; i < errs->len; i++) {
		char *m = scn_error_format(g_ptr_array_index(errs, i));

		total += strlen(m);
		g_free(m);
	}
	ck_assert_uint_le(errs->len, SCN_MAX_ERRORS + 1);
	ck_assert_uint_le(total,
		(size_t)(SCN_MAX_ERRORS + 1) * (SCN_MAX_MESSAGE + 64));
	g_free(first);
	g_free(last);
	g_ptr_array_free(errs, TRUE);
	g_string_free(t, TRUE);
}
END_TEST

START_TEST(a_long_quoted_word_is_clipped_in_its_message)
{
	GString *t = long_word();
	GPtrArray *errs = NULL;
	struct scn_error *e;

	ck_assert_ptr_null(scenario_parse(t->str, t->len, "t.scn", NULL,
		&errs));
	ck_assert_uint_eq(errs->len, 1);
	e = g_ptr_array_index(errs, 0);
	ck_assert_uint_eq(strlen(e->message), SCN_MAX_MESSAGE);
	ck_assert(g_str_has_prefix(e->message, "unknown step 'xyxy"));
	ck_assert(g_str_has_suffix(e->message, "..."));
	g_ptr_array_free(errs, TRUE);
	g_string_free(t, TRUE);
}
END_TEST

START_TEST(a_long_command_line_value_is_refused_where_it_is_used)
{
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		g_free);
	char *e;

	g_hash_table_insert(vars, (gpointer) "V", g_strnfill(5000, 'x'));
	e = errors_of("scan\nreboot cmd=${V}\n", vars, false);
	ck_assert_str_eq(e, "t.scn:2:12: ${V} is 5000 bytes long; a value has "
			    "at most 4096\n");
	g_free(e);
	/* the longest value that is allowed is used */
	g_hash_table_insert(vars, (gpointer) "V", g_strnfill(4096, 'x'));
	e = errors_of("scan\nreboot cmd=${V}\n", vars, false);
	ck_assert_str_eq(e, "");
	g_free(e);
	g_hash_table_destroy(vars);
}
END_TEST

START_TEST(the_largest_file_allowed_parses)
{
	GString *t = g_string_new("");
	GPtrArray *errs = NULL;
	struct scenario *s;

	while (t->len + 5 <= (size_t)SCN_MAX_SIZE)
		g_string_append(t, "scan\n");
	s = scenario_parse(t->str, t->len, "t.scn", NULL, &errs);
	ck_assert_msg(s, "%u errors", errs->len);
	ck_assert_uint_eq(s->total_steps, t->len / 5);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
	g_string_free(t, TRUE);
}
END_TEST

/* ---- files that are not regular files ---------------------------------- */

/* The one error of loading @path, formatted ("" if it loads). */
static char *load_error_of(const char *path)
{
	GPtrArray *errs = NULL;
	struct scenario *s = scenario_load(path, NULL, &errs);
	char *m = s ? g_strdup("") :
	              scn_error_format(g_ptr_array_index(errs, 0));

	ck_assert_uint_eq(errs->len, s ? 0 : 1);
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
	return m;
}

/* A scratch directory for one file; rm_scratch() takes both away. */
static char *scratch(const char *name, char **dir)
{
	*dir = g_dir_make_tmp("bc-scn-XXXXXX", NULL);
	ck_assert_ptr_nonnull(*dir);
	return g_build_filename(*dir, name, NULL);
}

static void rm_scratch(char *path, char *dir)
{
	unlink(path);
	rmdir(dir);
	g_free(path);
	g_free(dir);
}

static const struct {
	const char *what;
	const char *path; /* NULL: made by the test */
	const char *message;
} not_files[] = {
	{ "a directory", "/", "/: this is a directory, not a scenario file" },
	{ "a device", "/dev/zero",
		"/dev/zero: this is a device, not a "
		"scenario file" },
	{ "a FIFO", NULL, ": this is a FIFO, not a scenario file" },
	{ "a missing file", "/nonexistent/x.scn",
		"/nonexistent/x.scn: cannot "
		"open the scenario: No such file or directory" },
};

START_TEST(only_regular_files_are_read)
{
	char *dir = NULL, *fifo = NULL, *m;
	const char *path = not_files[_i].path;

	if (!path) {
		fifo = scratch("fifo.scn", &dir);
		ck_assert_int_eq(mkfifo(fifo, 0600), 0);
		path = fifo;
	}
	/* a FIFO with no writer: opened without waiting, refused */
	m = load_error_of(path);
	ck_assert_msg(g_str_has_suffix(m, not_files[_i].message), "%s", m);
	ck_assert(g_str_has_prefix(m, path));
	ck_assert_ptr_null(strstr(m, ":0:0"));
	g_free(m);
	if (fifo)
		rm_scratch(fifo, dir);
}
END_TEST

START_TEST(a_file_over_the_limit_is_not_read_to_its_end)
{
	char *dir, *path = scratch("big.scn", &dir);
	GString *t = oversized();
	char *m;

	/* 8 MiB: only SCN_MAX_SIZE + 1 bytes of it are read */
	while (t->len < (size_t)8 * 1024 * 1024)
		g_string_append(t, "scan\n");
	ck_assert(g_file_set_contents(path, t->str, (gssize)t->len, NULL));
	m = load_error_of(path);
	ck_assert_msg(strstr(m, ":52429:5: the scenario is longer than"), "%s",
		m);
	g_free(m);
	g_string_free(t, TRUE);
	rm_scratch(path, dir);
}
END_TEST

START_TEST(an_unreadable_file_says_so_without_a_place)
{
	char *dir, *path = scratch("secret.scn", &dir);
	char *want = g_strdup_printf("%s: cannot open the scenario: "
				     "Permission denied",
		path);
	bool as_root = geteuid() == 0;
	char *m;
	int status;
	pid_t pid;

	ck_assert(g_file_set_contents(path, "scan\n", -1, NULL));
	ck_assert_int_eq(chmod(path, 0), 0);
	/* root reads it anyway: then as nobody, in a child */
	pid = as_root ? fork() : 0;
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (as_root && (setgid(65534) || setuid(65534)))
			_exit(3);
		m = load_error_of(path);
		if (as_root)
			_exit(strcmp(m, want) ? 1 : 0);
		ck_assert_str_eq(m, want);
		g_free(m);
	} else {
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"status %d", status);
	}
	g_free(want);
	rm_scratch(path, dir);
}
END_TEST

Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("parser");
	TCase *lim;

	tcase_add_loop_test(tc, files_parse_or_report_every_error, 0,
		G_N_ELEMENTS(cases));
	tcase_add_loop_test(tc, each_step_has_its_name_and_documented_timeout,
		0, G_N_ELEMENTS(defaults));
	tcase_add_test(tc, the_flagship_parses_into_its_steps);
	tcase_add_test(tc, check_parameters_land_in_their_steps);
	tcase_add_test(tc, centrals_and_as_parse_into_the_scenario);
	tcase_add_test(tc, a_file_without_centrals_has_one_implicit_central);
	tcase_add_test(tc, command_line_variables_win_over_the_file);
	tcase_add_test(tc,
		reboot_cmd_on_the_command_line_satisfies_via_command);
	tcase_add_test(tc, quoting_and_escapes);
	tcase_add_test(tc, the_shipped_scenarios_are_valid);
	tcase_add_test(tc, a_missing_file_is_an_error_not_a_crash);
	tcase_add_test(tc, nul_bytes_are_refused);
	suite_add_tcase(s, tc);

	lim = tcase_create("limits");
	tcase_set_timeout(lim, 30);
	tcase_add_loop_test(lim, hostile_files_stop_at_their_place, 0,
		G_N_ELEMENTS(limits));
	tcase_add_test(lim, a_long_quoted_word_is_clipped_in_its_message);
	tcase_add_test(lim,
		a_long_command_line_value_is_refused_where_it_is_used);
	tcase_add_test(lim, the_largest_file_allowed_parses);
	tcase_add_loop_test(lim, only_regular_files_are_read, 0,
		G_N_ELEMENTS(not_files));
	tcase_add_test(lim, a_file_over_the_limit_is_not_read_to_its_end);
	tcase_add_test(lim, an_unreadable_file_says_so_without_a_place);
	suite_add_tcase(s, lim);
	return s;
}
