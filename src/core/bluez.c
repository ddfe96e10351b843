/* SPDX-License-Identifier: MIT */
/*
 * bluez.c — lookups over a model of org.bluez and BlueZ's spelling of
 * addresses and UUIDs. Owns no state and never touches the bus.
 */
#include <ctype.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"

bool bluez_address_valid(const char *addr)
{
	if (!addr || strlen(addr) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (addr[i] != ':')
				return false;
		} else if (!isxdigit((unsigned char)addr[i])) {
			return false;
		}
	}
	return true;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static char *lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = g_ascii_tolower(*p);
	return s;
}

char *bluez_uuid_normalize(const char *in, GError **error)
{
	size_t n = in ? strlen(in) : 0;
	const char *s = in;

	if (n > 2 && (s[0] == '0') && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if ((n == 4 || n == 8) && all_hex(s, n))
		return lower(
			g_strdup_printf("%s%.*s-0000-1000-8000-00805f9b34fb",
				n == 4 ? "0000" : "", (int)n, s));
	if (n == 36) {
		bool ok = true;

		for (size_t i = 0; i < 36 && ok; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				ok = s[i] == '-';
			else
				ok = isxdigit((unsigned char)s[i]);
		}
		if (ok)
			return lower(g_strdup(s));
	}
	g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
		"'%s' is not a UUID (use 16-bit like 2a6e or 128-bit like "
		"0000181a-0000-1000-8000-00805f9b34fb)",
		in ? in : "");
	return NULL;
}

char *bluez_device_path(const char *adapter_path, const char *address)
{
	char *up = g_ascii_strup(address, -1);
	char *p;

	g_strdelimit(up, ":", '_');
	p = g_strdup_printf("%s/dev_%s", adapter_path, up);
	g_free(up);
	return p;
}

const char *bluez_find_adapter(struct model *m, const char *name,
	GError **error)
{
	GPtrArray *all = model_find(m, BLUEZ_IFACE_ADAPTER, NULL);
	const char *found = NULL;

	for (guint i = 0; i < all->len && !found; i++) {
		const char *p = g_ptr_array_index(all, i);
		const char *base = strrchr(p, '/');
		bool on = false;

		if (name) {
			if (strcmp(p, name) == 0 ||
				(base && strcmp(base + 1, name) == 0))
				found = p;
			continue;
		}
		if (model_bool(m, p, BLUEZ_IFACE_ADAPTER, "Powered", &on) && on)
			found = p;
	}
	if (!found) {
		if (all->len == 0)
			g_set_error(error, BCERROR, BCERROR_NO_SUCH_ADAPTER,
				"no Bluetooth adapter found (is a controller "
				"attached and bluetoothd running?)");
		else if (name)
			g_set_error(error, BCERROR, BCERROR_NO_SUCH_ADAPTER,
				"no adapter named %s (%u adapter%s present)",
				name, all->len, all->len == 1 ? "" : "s");
		else
			g_set_error(error, BCERROR, BCERROR_NO_SUCH_ADAPTER,
				"no powered Bluetooth adapter (%u present; "
				"power one on, e.g. bluetoothctl power on)",
				all->len);
	}
	g_ptr_array_free(all, TRUE);
	return found;
}

int bluez_adapter_index(const char *adapter)
{
	const char *p;
	char *end = NULL;
	long n;

	if (!adapter)
		return -1;
	p = strrchr(adapter, '/');
	p = p ? p + 1 : adapter;
	if (strncmp(p, "hci", 3) != 0 || !g_ascii_isdigit(p[3]))
		return -1;
	n = strtol(p + 3, &end, 10);
	return *end || n > 0xfffe ? -1 : (int)n;
}

static gint by_index(gconstpointer a, gconstpointer b)
{
	int x = bluez_adapter_index(*(const char *const *)a);
	int y = bluez_adapter_index(*(const char *const *)b);

	return x != y ? (x < y ? -1 : 1) :
	                g_strcmp0(*(const char *const *)a,
				*(const char *const *)b);
}

bool bluez_pick_adapters(struct model *m, unsigned n, const char *const *names,
	const char *const *labels, const char **paths, GError **error)
{
	GPtrArray *all = model_find(m, BLUEZ_IFACE_ADAPTER, NULL);
	GString *taken = g_string_new("");
	bool ok = true;

	g_ptr_array_sort(all, by_index);
	for (unsigned i = 0; i < n; i++)
		paths[i] = NULL;
	/* the named ones first: the others take what is left */
	for (unsigned i = 0; i < n && ok; i++) {
		GError *err = NULL;

		if (!names || !names[i])
			continue;
		paths[i] = bluez_find_adapter(m, names[i], &err);
		if (!paths[i]) {
			if (n > 1)
				g_prefix_error(&err, "central %s: ", labels[i]);
			g_propagate_error(error, err);
			ok = false;
			break;
		}
		for (unsigned k = 0; k < i; k++) {
			if (paths[k] && !strcmp(paths[k], paths[i])) {
				g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
					"centrals %s and %s are both given %s: "
					"each central needs an adapter of its "
					"own",
					labels[k], labels[i], names[i]);
				ok = false;
			}
		}
	}
	for (unsigned i = 0; i < n && ok; i++) {
		if (paths[i])
			continue;
		for (guint k = 0; k < all->len && !paths[i]; k++) {
			const char *p = g_ptr_array_index(all, k);
			bool on = false, used = false;

			for (unsigned j = 0; j < n; j++)
				used = used ||
				       (paths[j] && !strcmp(paths[j], p));
			if (!used &&
				model_bool(m, p, BLUEZ_IFACE_ADAPTER, "Powered",
					&on) &&
				on)
				paths[i] = p;
		}
		if (paths[i])
			continue;
		for (unsigned j = 0; j < n; j++)
			if (paths[j])
				g_string_append_printf(taken, "%s%s is %s's",
					taken->len ? ", " : "",
					strrchr(paths[j], '/') + 1, labels[j]);
		if (!taken->len)
			/* nobody took one: the adapters are the problem */
			bluez_find_adapter(m, NULL, error);
		else
			g_set_error(error, BCERROR, BCERROR_NO_SUCH_ADAPTER,
				"central %s needs an adapter of its own: no "
				"other powered adapter (%u present%s%s)",
				labels[i], all->len, taken->len ? "; " : "",
				taken->str);
		ok = false;
	}
	g_string_free(taken, TRUE);
	g_ptr_array_free(all, TRUE);
	return ok;
}

static const char *find_dev(struct model *m, const char *adapter_path,
	const char *prop, const char *value, bool casefold)
{
	GPtrArray *all = model_find(m, BLUEZ_IFACE_DEVICE, adapter_path);
	const char *found = NULL;

	for (guint i = 0; i < all->len && !found; i++) {
		const char *p = g_ptr_array_index(all, i);
		const char *v = model_str(m, p, BLUEZ_IFACE_DEVICE, prop);

		if (v && (casefold ? g_ascii_strcasecmp(v, value) == 0 :
				     strcmp(v, value) == 0))
			found = p;
	}
	g_ptr_array_free(all, TRUE);
	return found;
}

const char *bluez_find_device(struct model *m, const char *adapter_path,
	const char *address)
{
	return find_dev(m, adapter_path, "Address", address, true);
}

const char *bluez_find_device_by_name(struct model *m, const char *adapter_path,
	const char *name)
{
	const char *p = find_dev(m, adapter_path, "Name", name, false);

	return p ? p : find_dev(m, adapter_path, "Alias", name, false);
}

bool bluez_device_bonded(struct model *m, const char *path, bool *from_paired)
{
	bool v = false;

	if (from_paired)
		*from_paired = false;
	if (model_bool(m, path, BLUEZ_IFACE_DEVICE, "Bonded", &v))
		return v;
	if (from_paired)
		*from_paired = true;
	return model_bool(m, path, BLUEZ_IFACE_DEVICE, "Paired", &v) && v;
}

static const char *find_attr(struct model *m, const char *under,
	const char *iface, const char *uuid)
{
	GPtrArray *all = model_find(m, iface, under);
	const char *found = NULL;

	for (guint i = 0; i < all->len && !found; i++) {
		const char *p = g_ptr_array_index(all, i);
		const char *u = model_str(m, p, iface, "UUID");

		if (u && g_ascii_strcasecmp(u, uuid) == 0)
			found = p;
	}
	g_ptr_array_free(all, TRUE);
	return found;
}

const char *bluez_find_chrc(struct model *m, const char *device_path,
	const char *uuid)
{
	return find_attr(m, device_path, BLUEZ_IFACE_GATT_CHRC, uuid);
}

const char *bluez_find_desc(struct model *m, const char *chrc_path,
	const char *uuid)
{
	return find_attr(m, chrc_path, BLUEZ_IFACE_GATT_DESC, uuid);
}

char *bluez_sim_path(const char *adapter_path)
{
	const char *base = adapter_path ? strrchr(adapter_path, '/') : NULL;

	if (!base || !strcmp(base, "/hci0"))
		return g_strdup(BC_SIM_PATH);
	return g_strconcat(BC_SIM_PATH, base, NULL);
}
