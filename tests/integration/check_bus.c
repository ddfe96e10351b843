/* SPDX-License-Identifier: MIT */
/*
 * check_bus.c — our libdbus connection on the GLib loop when the bus goes
 * away: every call is answered exactly once, whatever state it was in.
 */
#include <check.h>
#include <signal.h>
#include <string.h>

#include "bondcheck/bus.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "helpers/testutil.h"
#include "suites.h"

#define HOLE "org.bondcheck.test.Hole"

struct answer {
	int replies;
	int destroyed;
	char *error; /* the reply's error name, or "ok" */
};

static void on_reply(DBusMessage *reply, void *data)
{
	struct answer *a = data;
	const char *name = dbus_message_get_error_name(reply);

	a->replies++;
	g_free(a->error);
	a->error = g_strdup(name ? name : "ok");
}

static void on_destroy(void *data)
{
	((struct answer *)data)->destroyed++;
}

static bool answered(void *data)
{
	return ((struct answer *)data)->destroyed > 0;
}

/* A peer that takes every call and never answers. */
struct hole {
	struct bus *bus;
	int calls;
	GPtrArray *kept;
};

static DBusHandlerResult hole_call(DBusMessage *msg, void *data)
{
	struct hole *h = data;

	h->calls++;
	g_ptr_array_add(h->kept, dbus_message_ref(msg));
	return DBUS_HANDLER_RESULT_HANDLED;
}

static bool hole_got_it(void *data)
{
	return ((struct hole *)data)->calls > 0;
}

static bool lost(void *data)
{
	return !bus_is_connected(data);
}

/* Run what is ready on the loop, without waiting for anything new. */
static void drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void hole_start(struct hole *h, struct testbus *tb)
{
	GError *err = NULL;
	DBusError derr;

	h->bus = bus_connect(BUS_KIND_ADDRESS, tb->address, &err);
	ck_assert_msg(h->bus, "%s", err ? err->message : "");
	h->kept = g_ptr_array_new_with_free_func((GDestroyNotify)
			dbus_message_unref);
	bus_set_method_handler(h->bus, hole_call, h);
	dbus_error_init(&derr);
	ck_assert_int_eq(dbus_bus_request_name(bus_conn(h->bus), HOLE,
				 DBUS_NAME_FLAG_DO_NOT_QUEUE, &derr),
		DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
}

static void hole_stop(struct hole *h)
{
	g_ptr_array_free(h->kept, TRUE);
	bus_unref(h->bus);
}

/*
 * When the bus dies: the call the peer took and never answered, the call
 * still on its way, and a call made after the loss are each answered once
 * (Disconnected, from the main loop), with their destroy after.
 */
START_TEST(calls_pending_when_the_bus_dies_are_answered_once)
{
	struct testbus tb = { 0 };
	struct hole h = { 0 };
	struct answer taken = { 0 }, late = { 0 };
	struct bus *bus;
	GError *err = NULL;

	ck_assert(testbus_start(&tb));
	hole_start(&h, &tb);
	bus = bus_connect(BUS_KIND_ADDRESS, tb.address, &err);
	ck_assert_msg(bus, "%s", err ? err->message : "");
	/* a timeout far beyond the test's: only the loss can end it */
	bus_call_method(bus, HOLE, "/", "org.bondcheck.test", "Wait", NULL,
		600000, on_reply, &taken, on_destroy);
	ck_assert(test_wait(hole_got_it, &h, 5000));

	ck_assert_int_eq(test_signal_wait(tb.pid, SIGKILL, 5000),
		128 + SIGKILL);
	tb.pid = 0;
	ck_assert_msg(test_wait(answered, &taken, 5000),
		"a call pending when the bus died was never answered");
	ck_assert_int_eq(taken.replies, 1);
	ck_assert_int_eq(taken.destroyed, 1);
	ck_assert_str_eq(taken.error, DBUS_ERR_DISCONNECTED);
	ck_assert(!bus_is_connected(bus));

	bus_call_method(bus, HOLE, "/", "org.bondcheck.test", "Wait", NULL,
		600000, on_reply, &late, on_destroy);
	ck_assert(test_wait(answered, &late, 5000));
	ck_assert_int_eq(late.replies, 1);
	ck_assert_str_eq(late.error, DBUS_ERR_DISCONNECTED);

	/* nothing is answered twice */
	drain();
	ck_assert_int_eq(taken.replies + late.replies, 2);
	ck_assert_int_eq(taken.destroyed + late.destroyed, 2);
	g_free(taken.error);
	g_free(late.error);
	bus_unref(bus);
	hole_stop(&h);
	testbus_stop(&tb);
}
END_TEST

/* A call cancelled after the loss but before its answer ran: destroyed
 * once, never answered. */
START_TEST(a_call_cancelled_after_the_loss_is_not_answered)
{
	struct testbus tb = { 0 };
	struct hole h = { 0 };
	struct answer a = { 0 };
	struct bus *bus;
	guint id;

	ck_assert(testbus_start(&tb));
	hole_start(&h, &tb);
	bus = bus_connect(BUS_KIND_ADDRESS, tb.address, NULL);
	ck_assert_ptr_nonnull(bus);
	id = bus_call_method(bus, HOLE, "/", "org.bondcheck.test", "Wait", NULL,
		600000, on_reply, &a, on_destroy);
	ck_assert(test_wait(hole_got_it, &h, 5000));
	/* no waiting loop between the loss and the cancel: the answer is
	 * due, not given */
	ck_assert_int_eq(kill(tb.pid, SIGKILL), 0);
	ck_assert(test_wait(lost, bus, 5000));
	ck_assert(bus_cancel(bus, id));
	drain();
	ck_assert_int_eq(a.replies, 0);
	ck_assert_int_eq(a.destroyed, 1);
	bus_unref(bus);
	hole_stop(&h);
	ck_assert_int_eq(test_signal_wait(tb.pid, SIGKILL, 5000),
		128 + SIGKILL);
	tb.pid = 0;
	testbus_stop(&tb);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("loss");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, calls_pending_when_the_bus_dies_are_answered_once);
	tcase_add_test(tc, a_call_cancelled_after_the_loss_is_not_answered);
	suite_add_tcase(s, tc);
	return s;
}
