/* SPDX-License-Identifier: MIT */
/*
 * managers.c — the interfaces bluetoothd 5.66 exports for roles the
 * simulator does not play: GattManager1 (local GATT applications),
 * LEAdvertisingManager1 and Media1 on each adapter, ProfileManager1 and
 * HealthManager1 on /org/bluez. They are there, with the methods and
 * properties of 5.66's tables, so introspecting clients and setup steps
 * find them; every method answers org.bluez.Error.NotSupported, since the
 * simulator has no peripheral role, no profiles and no media.
 */
#include "bondcheck/names.h"
#include "sim-private.h"

static void m_not_supported(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	sim_reply_error(call, SIM_ERR_NO_PERIPHERAL);
}

static GVariant *get_zero(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_byte(0);
}

static GVariant *get_none(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_strv(NULL, 0);
}

static GVariant *get_absent(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return NULL;
}

static const struct svc_method gatt_manager_methods[] = {
	{ "RegisterApplication", "oa{sv}", "", m_not_supported,
		"application options" },
	{ "UnregisterApplication", "o", "", m_not_supported, "application" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_interface gatt_manager_iface = {
	BLUEZ_IFACE_GATT_MANAGER,
	gatt_manager_methods,
	NULL,
	NULL,
};

static const struct svc_method adv_manager_methods[] = {
	{ "RegisterAdvertisement", "oa{sv}", "", m_not_supported,
		"advertisement options" },
	{ "UnregisterAdvertisement", "o", "", m_not_supported, "service" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* no advertising instances to offer; SupportedSecondaryChannels only with
 * an extended-advertising controller */
static const struct svc_property adv_manager_props[] = {
	{ "ActiveInstances", "y", get_zero, NULL },
	{ "SupportedInstances", "y", get_zero, NULL },
	{ "SupportedIncludes", "as", get_none, NULL },
	{ "SupportedSecondaryChannels", "as", get_absent, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface adv_manager_iface = {
	BLUEZ_IFACE_ADV_MANAGER,
	adv_manager_methods,
	adv_manager_props,
	NULL,
};

static const struct svc_method media_methods[] = {
	{ "RegisterEndpoint", "oa{sv}", "", m_not_supported,
		"endpoint properties" },
	{ "UnregisterEndpoint", "o", "", m_not_supported, "endpoint" },
	{ "RegisterPlayer", "oa{sv}", "", m_not_supported,
		"player properties" },
	{ "UnregisterPlayer", "o", "", m_not_supported, "player" },
	{ "RegisterApplication", "oa{sv}", "", m_not_supported,
		"application options" },
	{ "UnregisterApplication", "o", "", m_not_supported, "application" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_property media_props[] = {
	{ "SupportedUUIDs", "as", get_none, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface media_iface = {
	BLUEZ_IFACE_MEDIA,
	media_methods,
	media_props,
	NULL,
};

static const struct svc_method profile_manager_methods[] = {
	{ "RegisterProfile", "osa{sv}", "", m_not_supported,
		"profile UUID options" },
	{ "UnregisterProfile", "o", "", m_not_supported, "profile" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_interface profile_manager_iface = {
	BLUEZ_IFACE_PROFILE_MANAGER,
	profile_manager_methods,
	NULL,
	NULL,
};

static const struct svc_method health_manager_methods[] = {
	{ "CreateApplication", "a{sv}", "o", m_not_supported,
		"config application" },
	{ "DestroyApplication", "o", "", m_not_supported, "application" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_interface health_manager_iface = {
	BLUEZ_IFACE_HEALTH_MANAGER,
	health_manager_methods,
	NULL,
	NULL,
};

void sim_managers_add_adapter(struct sim_adapter *adapter)
{
	service_add_interface(adapter->svc, adapter->path, &gatt_manager_iface,
		adapter);
	service_add_interface(adapter->svc, adapter->path, &media_iface,
		adapter);
	service_add_interface(adapter->svc, adapter->path, &adv_manager_iface,
		adapter);
}

void sim_managers_add_root(struct sim_server *srv)
{
	service_add_interface(srv->svc, BLUEZ_PATH, &profile_manager_iface,
		srv);
	service_add_interface(srv->svc, BLUEZ_PATH, &health_manager_iface, srv);
}
