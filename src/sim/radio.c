/* SPDX-License-Identifier: MIT */
/*
 * radio.c — the air between a simulated DUT and the adapters in range of
 * it: the DUT's advertising events and who hears them.
 *
 * The DUT advertises from the moment it may (created, booted, its link
 * gone): event 0 at once, then one every adv_interval_ms plus advDelay
 * (0 to adv_delay_max_us, from the seeded generator). An adapter hears an
 * event if it listens at that moment and the event falls inside its scan
 * window: its discovery wants the DUT (not found yet, or its RSSI was
 * invalidated), or a connection to the DUT is pending (Connect() or Pair()
 * with the link down: the kernel scans with its connect parameters and
 * sends CONNECT_IND at the first advertising event it hears). One central
 * connects per event; once connected the DUT stops advertising (device.c).
 *
 * Events are timed only while someone listens: the simulator stays idle
 * otherwise, and an event nobody hears costs nothing. At --time-scale 0
 * every event is due at once and no delay is drawn, so the seeded
 * generator gives what it gave before there was a radio.
 */
#include "sim-private.h"

int64_t sim_radio_scaled_us(struct sim_adapter *adapter, int64_t us)
{
	double v = (double)us * adapter->t.scale;

	return v <= 0 ? 0 : (int64_t)(v + 0.5);
}

/* The adapter that keeps the events of @adapter's DUT: the first one in
 * range of it (the one it was made with). */
static struct sim_adapter *keeper(struct sim_adapter *adapter)
{
	guint i = 0;

	return sim_sharing_next(adapter, &i);
}

static bool present(struct sim_adapter *a)
{
	return a->powered && !a->unplugged;
}

static bool adapter_listens(struct sim_adapter *a)
{
	if (!present(a))
		return false;
	if (a->discovering && sim_adapter_wants_adverts(a))
		return true;
	for (guint i = 0; i < a->devices->len; i++)
		if (sim_device_wants_adverts(g_ptr_array_index(a->devices, i)))
			return true;
	return false;
}

static bool anyone_listens(struct sim_adapter *k)
{
	struct sim_adapter *a;
	guint i = 0;

	while ((a = sim_sharing_next(k, &i)))
		if (adapter_listens(a))
			return true;
	return false;
}

/* Is @t inside a scan begun at @start_us, @window_us every @interval_us? */
static bool in_window(struct sim_adapter *a, int64_t t, int64_t start_us,
	int64_t window_us, int64_t interval_us)
{
	int64_t w = sim_radio_scaled_us(a, window_us);
	int64_t i = sim_radio_scaled_us(a, interval_us);

	if (i <= 0 || w >= i)
		return true; /* a continuous scan (the kernel's defaults) */
	return t >= start_us && (t - start_us) % i < w;
}

/* Event @k at @t reaches @a: its discovery, then one pending connection
 * (unless a central in range took the DUT at this event already). */
static void deliver(struct sim_adapter *a, uint64_t k, int64_t t, bool *taken)
{
	const struct sim_timing *tm = &a->t;

	if (!present(a))
		return;
	if (a->discovering && sim_adapter_wants_adverts(a) &&
		in_window(a, t, a->scan_start_us, tm->scan_window_us,
			tm->scan_interval_us))
		sim_adapter_dut_advertised(a);
	for (guint i = 0; !*taken && i < a->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(a->devices, i);
		/* while discovering, the kernel's active scan stands in for
		 * the connect scan (and its reports start the connection) */
		bool disc = a->discovering;

		if (!sim_device_wants_adverts(d) ||
			!in_window(a, t,
				disc ? a->scan_start_us : d->connect_start_us,
				disc ? tm->scan_window_us :
				       tm->conn_scan_window_us,
				disc ? tm->scan_interval_us :
				       tm->conn_scan_interval_us))
			continue;
		*taken = true;
		sim_device_adv_event(d, k, t);
	}
}

static void schedule(struct sim_adapter *k, bool fresh);

static gboolean adv_event(gpointer data)
{
	struct sim_adapter *k = data, *a;
	uint64_t index = k->adv_next;
	int64_t t = k->adv_due_us;
	bool taken = false;
	guint i = 0;

	k->adv_source = 0;
	if (sim_dut_state(k->dut) != SIM_DUT_STATE_ADVERTISING)
		return G_SOURCE_REMOVE;
	k->adv_next = index + 1;
	while ((a = sim_sharing_next(k, &i)))
		deliver(a, index, t, &taken);
	schedule(k, false);
	return G_SOURCE_REMOVE;
}

/* Arm the next event nobody has heard yet, if anyone listens for it;
 * @fresh: the DUT began advertising just now, its event 0 is due. */
static void schedule(struct sim_adapter *k, bool fresh)
{
	int64_t interval = sim_radio_scaled_us(k, k->t.adv_interval_ms * 1000);
	int64_t now, t;

	if (k->adv_source ||
		sim_dut_state(k->dut) != SIM_DUT_STATE_ADVERTISING ||
		!anyone_listens(k))
		return;
	now = g_get_monotonic_time();
	if (!fresh && interval > 0 && now > k->adv_epoch_us) {
		/* the events nobody listened to are gone */
		uint64_t first = (uint64_t)((now - k->adv_epoch_us + interval -
						    1) /
					    interval);

		if (first > k->adv_next)
			k->adv_next = first;
	}
	t = k->adv_epoch_us + (int64_t)k->adv_next * interval;
	if (k->adv_next > 0 && interval > 0)
		t += sim_radio_scaled_us(k,
			sim_random_air(k, 0,
				(int32_t)MIN(k->t.adv_delay_max_us,
					G_MAXINT32 - 1) +
					1));
	k->adv_due_us = t;
	k->adv_source = g_timeout_add(t > now ?
					      (guint)((t - now + 999) / 1000) :
					      0,
		adv_event, k);
}

/* The DUT's advertising began at @k's epoch: every adapter in range says
 * so, with the times its events follow (the trace's clock). */
static void trace_adv_start(struct sim_adapter *k)
{
	struct sim_adapter *a;
	guint i = 0;

	while ((a = sim_sharing_next(k, &i))) {
		GVariantBuilder b;

		g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&b, "{sv}", "epoch_t_us",
			g_variant_new_int64(k->adv_epoch_us - a->start_us));
		g_variant_builder_add(&b, "{sv}", "interval_us",
			g_variant_new_int64(sim_radio_scaled_us(k,
				k->t.adv_interval_ms * 1000)));
		g_variant_builder_add(&b, "{sv}", "adv_delay_max_us",
			g_variant_new_int64(sim_radio_scaled_us(k,
				k->t.adv_delay_max_us)));
		sim_trace(a, "adv-start", g_variant_builder_end(&b));
	}
}

void sim_radio_adv_start(struct sim_adapter *adapter)
{
	struct sim_adapter *k = keeper(adapter);

	if (k->adv_source) {
		g_source_remove(k->adv_source);
		k->adv_source = 0;
	}
	k->adv_epoch_us = g_get_monotonic_time();
	k->adv_next = 0;
	trace_adv_start(k);
	schedule(k, true);
}

void sim_radio_listen(struct sim_adapter *adapter)
{
	schedule(keeper(adapter), false);
}

void sim_radio_clear(struct sim_adapter *adapter)
{
	if (adapter->adv_source)
		g_source_remove(adapter->adv_source);
	adapter->adv_source = 0;
}
