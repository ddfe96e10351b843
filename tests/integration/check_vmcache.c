/* SPDX-License-Identifier: MIT */
/*
 * check_vmcache.c — the QEMU tier's download cache (tests/vm/run), shared by
 * every checkout and job on a machine: two runs filling one empty cache at
 * once both succeed and leave whole trees; what a killed run left behind is
 * cleaned up; a lock held by someone else is waited for, never ignored.
 * apt-get is tests/helpers/fake-apt-get: no network.
 */
#include <check.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "helpers/testutil.h"
#include "suites.h"

#define FILES 200
static const char *const packages[] = { "linux-image-6.1.0-54-amd64", "bluez",
	"bluez-test-tools", "dbus-daemon" };

static char *dir; /* the test's own: bin/apt-get and cache/ */
static char *cache;
static char *path_env;

static void setup(void)
{
	char *fake = test_path("tests/helpers/fake-apt-get");
	char *bin, *link;

	dir = g_dir_make_tmp("bc-vmcache-XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
	bin = g_build_filename(dir, "bin", NULL);
	link = g_build_filename(bin, "apt-get", NULL);
	ck_assert_int_eq(g_mkdir(bin, 0755), 0);
	ck_assert_int_eq(symlink(fake, link), 0);
	cache = g_build_filename(dir, "cache", NULL);
	path_env = g_strdup_printf("PATH=%s:%s", bin, g_getenv("PATH"));
	g_free(link);
	g_free(bin);
	g_free(fake);
}

static void rm_rf(const char *d)
{
	const char *argv[] = { "/bin/rm", "-rf", d, NULL };
	struct proc_result r;

	test_run(argv, NULL, 30000, &r);
	test_result_clear(&r);
}

static void teardown(void)
{
	rm_rf(dir);
	g_free(dir);
	g_free(cache);
	g_free(path_env);
}

static GPid start_fetch(const char *lock_timeout, char **out, char **err)
{
	char *script = test_path("tests/vm/run");
	char *files = g_strdup_printf("FAKE_APT_FILES=%d", FILES);
	char *lt = g_strdup_printf("BONDCHECK_VM_LOCK_TIMEOUT=%s",
		lock_timeout ? lock_timeout : "");
	const char *argv[] = { "/usr/bin/python3", script, "--fetch-only",
		"--cache", cache, NULL };
	const char *env[] = { path_env, files, lt, NULL };
	GPid pid = test_start(argv, env, out, err);

	ck_assert(pid > 0);
	g_free(lt);
	g_free(files);
	g_free(script);
	return pid;
}

static unsigned count_files(const char *d)
{
	GDir *g = g_dir_open(d, 0, NULL);
	const char *n;
	unsigned c = 0;

	while (g && (n = g_dir_read_name(g))) {
		char *p = g_build_filename(d, n, NULL);

		/* a link counts as one, even a link to a directory */
		if (!g_file_test(p, G_FILE_TEST_IS_SYMLINK) &&
			g_file_test(p, G_FILE_TEST_IS_DIR))
			c += count_files(p);
		else
			c++;
		g_free(p);
	}
	if (g)
		g_dir_close(g);
	return c;
}

/* Every package's tree whole (its files and .done), no private dirs left. */
static void assert_cache_whole(void)
{
	const char *sub[] = { "root", "debs" };

	for (size_t i = 0; i < G_N_ELEMENTS(packages); i++) {
		char *t = g_build_filename(cache, "root", packages[i], NULL);
		char *done = g_build_filename(t, ".done", NULL);

		ck_assert_msg(g_file_test(done, G_FILE_TEST_EXISTS), "%s",
			done);
		ck_assert_uint_eq(count_files(t), FILES + 1);
		g_free(done);
		g_free(t);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(sub); i++) {
		char *d = g_build_filename(cache, sub[i], NULL);
		GDir *g = g_dir_open(d, 0, NULL);
		const char *n;

		ck_assert_ptr_nonnull(g);
		while ((n = g_dir_read_name(g)))
			ck_assert_msg(!g_str_has_prefix(n, ".tmp-"),
				"left behind: %s/%s", d, n);
		g_dir_close(g);
		g_free(d);
	}
}

/* The lines of @out that name trees (not the "vm: ..." remarks); g_free. */
static char *trees_of(const char *out)
{
	char **lines = g_strsplit(out, "\n", -1);
	GString *t = g_string_new("");

	for (char **l = lines; *l; l++)
		if (**l && !g_str_has_prefix(*l, "vm: "))
			g_string_append_printf(t, "%s\n", *l);
	g_strfreev(lines);
	return g_string_free(t, FALSE);
}

START_TEST(two_runs_fill_one_empty_cache_side_by_side)
{
	char *o1, *e1, *o2, *e2;
	GPid a = start_fetch(NULL, &o1, &e1);
	GPid b = start_fetch(NULL, &o2, &e2);
	struct proc_result ra, rb;
	char *ta, *tb;

	test_finish(a, o1, e1, 120000, &ra);
	test_finish(b, o2, e2, 120000, &rb);
	ck_assert_msg(ra.status == 0, "first: %d\n%s\n%s", ra.status, ra.out,
		ra.err);
	ck_assert_msg(rb.status == 0, "second: %d\n%s\n%s", rb.status, rb.out,
		rb.err);
	/* both name the same trees (one of them also said it waited) */
	ta = trees_of(ra.out);
	tb = trees_of(rb.out);
	ck_assert_str_eq(ta, tb);
	ck_assert_ptr_nonnull(strstr(ta, "/root/bluez-test-tools\n"));
	g_free(ta);
	g_free(tb);
	assert_cache_whole();
	test_result_clear(&ra);
	test_result_clear(&rb);
}
END_TEST

START_TEST(what_a_killed_run_left_is_replaced)
{
	char *half = g_build_filename(cache, "root", "bluez", NULL);
	char *tmp = g_build_filename(cache, "root", ".tmp-killed", NULL);
	char *f = g_build_filename(half, "partial", NULL);
	char *o, *e;
	struct proc_result r;
	GPid pid;

	/* an older run killed while extracting (no .done), and one killed
	 * while extracting into its private directory */
	ck_assert_int_eq(g_mkdir_with_parents(half, 0755), 0);
	ck_assert_int_eq(g_mkdir_with_parents(tmp, 0755), 0);
	ck_assert(g_file_set_contents(f, "x", -1, NULL));
	pid = start_fetch(NULL, &o, &e);
	test_finish(pid, o, e, 120000, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert(!g_file_test(f, G_FILE_TEST_EXISTS));
	ck_assert(!g_file_test(tmp, G_FILE_TEST_EXISTS));
	assert_cache_whole();
	test_result_clear(&r);
	g_free(f);
	g_free(tmp);
	g_free(half);
}
END_TEST

START_TEST(a_lock_held_elsewhere_is_waited_for_not_ignored)
{
	char *lock = g_build_filename(cache, "lock", NULL);
	char *root = g_build_filename(cache, "root", NULL);
	char *o, *e;
	struct proc_result r;
	GPid pid;
	int fd;

	ck_assert_int_eq(g_mkdir_with_parents(cache, 0755), 0);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	/* held for the whole run: it waits, gives up, and touched nothing */
	pid = start_fetch("1", &o, &e);
	test_finish(pid, o, e, 60000, &r);
	ck_assert_msg(r.status == 1, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, "being filled by another run"), "%s",
		r.out);
	ck_assert_msg(strstr(r.out, "was held for more than 1 s"), "%s", r.out);
	ck_assert(!g_file_test(root, G_FILE_TEST_EXISTS));
	test_result_clear(&r);
	/* released: the next run fills the cache */
	close(fd);
	pid = start_fetch("1", &o, &e);
	test_finish(pid, o, e, 120000, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	assert_cache_whole();
	test_result_clear(&r);
	g_free(root);
	g_free(lock);
}
END_TEST

Suite *vmcache_suite(void)
{
	Suite *s = suite_create("vmcache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, two_runs_fill_one_empty_cache_side_by_side);
	tcase_add_test(tc, what_a_killed_run_left_is_replaced);
	tcase_add_test(tc, a_lock_held_elsewhere_is_waited_for_not_ignored);
	suite_add_tcase(s, tc);
	return s;
}
