// SPDX-License-Identifier: MIT
/* Power off, reboot and the QEMU test exit (contract in kernel/power.h).
 * Power off follows ACPI §16.1.7 minus the AML methods: make sure the chipset
 * is in ACPI mode (SCI_EN, by writing ACPI_ENABLE to SMI_CMD), write SLP_TYP
 * to PM1a_CNT and PM1b_CNT, then set SLP_EN in both. QEMU's PIIX4 and ICH9 PM
 * models treat SLP_TYP 0 with SLP_EN as "soft off" and exit with status 0.
 * When ACPI gave us nothing usable the known emulator ports are tried
 * instead; each step that does not end the machine leaves a log line. */
#include "kernel/power.h"
#include "kernel/acpi.h"
#include "kernel/arch/cpu.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/pci.h"
#include "kernel/shell/shell.h"
#include "kernel/time.h"

/* PM1 control register bits (ACPI §4.8.3.2.1, Table 4.13). */
#define PM1_CNT_SCI_EN 0x0001u
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN (1u << 13)
/* ACPI §16.3.1: firmware may take a while to switch to ACPI mode; Linux and
 * ACPICA wait up to 3 s for SCI_EN. */
#define POWER_ACPI_ENABLE_TIMEOUT_MS 3000
/* After a request that should end the machine, wait this long before trying
 * the next method (QEMU stops the vCPU within microseconds). */
#define POWER_SETTLE_MS 500

/* Emulator defaults when there are no ACPI tables. QEMU's PIIX4 (-M pc) and
 * ICH9 (-M q35) PM blocks are at 0x600 with SeaBIOS, PM1a_CNT at +4; Bochs
 * and old QEMU BIOSes put the PM block at 0xB000. SLP_TYP 0 is soft off there. */
static const uint16_t power_fallback_pm1a_ports[] = { 0x604, 0xB004 };
#define POWER_FALLBACK_PM1_VALUE PM1_CNT_SLP_EN

/* Legacy reset paths (8042 controller: IBM PC/AT Technical Reference; 0xCF9:
 * Intel PIIX4/ICH9 Reset Control Register). */
#define KBC_STATUS_PORT 0x64
#define KBC_STATUS_INPUT_FULL 0x02
#define KBC_CMD_PULSE_RESET 0xFE
#define KBC_WAIT_MS 100
#define RST_CNT_PORT 0xCF9
#define RST_CNT_SYS_RST 0x02 /* hard reset when RST_CPU goes 0 -> 1 */
#define RST_CNT_RST_CPU 0x04

static struct {
    bool have_acpi;              /* info holds a parsed FADT */
    struct acpi_power_info info; /* written once by power_init */
} power_state;

static void power_delay_ms(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++)
        udelay(1000);
}

NORETURN static void power_halt_forever(void)
{
    for (;;) {
        cpu_cli();
        cpu_hlt();
    }
}

/* Switch the chipset to ACPI mode unless it already is. Returns 0 or
 * ERR_TIMEOUT (SCI_EN never came up; the sleep write is tried anyway). */
static int power_acpi_enable(const struct acpi_fadt *f)
{
    if (inw((uint16_t)f->pm1a_cnt_port) & PM1_CNT_SCI_EN)
        return 0;
    if (f->smi_cmd_port == 0 || f->acpi_enable == 0)
        return 0; /* hardware-reduced or always in ACPI mode */
    outb((uint16_t)f->smi_cmd_port, f->acpi_enable);
    for (uint32_t waited = 0; waited < POWER_ACPI_ENABLE_TIMEOUT_MS; waited++) {
        if (inw((uint16_t)f->pm1a_cnt_port) & PM1_CNT_SCI_EN)
            return 0;
        udelay(1000);
    }
    pr_warn("power: acpi: SCI_EN not set after enable request (SMI_CMD 0x%x, value 0x%x, "
            "%u ms)", f->smi_cmd_port, f->acpi_enable, POWER_ACPI_ENABLE_TIMEOUT_MS);
    return ERR_TIMEOUT;
}

/* Read-modify-write of one PM1x_CNT with a new SLP_TYP and optional SLP_EN. */
static void power_pm1_write(uint32_t port, uint8_t slp_typ, bool sleep_enable)
{
    uint16_t value = inw((uint16_t)port);
    value &= (uint16_t) ~(PM1_CNT_SLP_TYP_MASK | PM1_CNT_SLP_EN);
    value |= (uint16_t)((slp_typ & 7u) << PM1_CNT_SLP_TYP_SHIFT);
    if (sleep_enable)
        value |= PM1_CNT_SLP_EN;
    outw((uint16_t)port, value);
}

/* ACPI S5 entry; returns only if the machine is still running. */
static void power_off_acpi(void)
{
    const struct acpi_fadt *f = &power_state.info.fadt;
    /* Without \_S5_ use 0: the soft-off type of the PIIX4 and ICH9 families. */
    uint8_t typa = power_state.info.has_s5 ? power_state.info.s5.slp_typa : 0;
    uint8_t typb = power_state.info.has_s5 ? power_state.info.s5.slp_typb : 0;

    /* 1. ACPI mode. 2. SLP_TYP in both blocks. 3. SLP_EN: the point of no return. */
    power_acpi_enable(f);
    power_pm1_write(f->pm1a_cnt_port, typa, false);
    if (f->pm1b_cnt_port)
        power_pm1_write(f->pm1b_cnt_port, typb, false);
    power_pm1_write(f->pm1a_cnt_port, typa, true);
    if (f->pm1b_cnt_port)
        power_pm1_write(f->pm1b_cnt_port, typb, true);
    power_delay_ms(POWER_SETTLE_MS);
    pr_warn("power: acpi: still running after S5 request (PM1a_CNT 0x%x, SLP_TYPa %u)",
            f->pm1a_cnt_port, typa);
}

void power_off(void)
{
    /* 1. ACPI, when power_init found a FADT. */
    if (power_state.have_acpi)
        power_off_acpi();
    /* 2. The emulators' well-known PM1a_CNT ports. */
    pr_warn("power: no working ACPI data, trying QEMU/Bochs default ports (0x%x, 0x%x)",
            power_fallback_pm1a_ports[0], power_fallback_pm1a_ports[1]);
    for (size_t i = 0; i < ARRAY_SIZE(power_fallback_pm1a_ports); i++) {
        outw(power_fallback_pm1a_ports[i], POWER_FALLBACK_PM1_VALUE);
        power_delay_ms(POWER_SETTLE_MS);
    }
    /* 3. Nothing worked: stop here. */
    pr_err("power: power off failed, halting");
    power_halt_forever();
}

/* Write the FADT reset register. Returns 0 if written, ERR_NOTSUP otherwise. */
static int power_reset_acpi(void)
{
    const struct acpi_fadt *f = &power_state.info.fadt;
    if (!power_state.have_acpi || !f->has_reset_reg)
        return ERR_NOTSUP;
    const struct acpi_gas *r = &f->reset_reg;
    switch (r->space_id) {
    case ACPI_GAS_IO:
        if (r->address > 0xFFFF)
            break;
        outb((uint16_t)r->address, f->reset_value);
        return 0;
    case ACPI_GAS_PCI_CONFIG: /* bus 0; device 47:32, function 31:16, offset 15:0 */
        if (((r->address >> 32) & 0xFFFF) >= PCI_MAX_DEVICES_PER_BUS ||
            ((r->address >> 16) & 0xFFFF) >= PCI_MAX_FUNCTIONS ||
            (r->address & 0xFFFF) >= PCI_CONFIG_BYTES)
            break;
        pci_conf_write8(0, (uint8_t)(r->address >> 32), (uint8_t)(r->address >> 16),
                        (uint16_t)(r->address & 0xFF), f->reset_value);
        return 0;
    default:
        break;
    }
    pr_warn("power: acpi: reset register not usable (space %u, address 0x%llx)", r->space_id,
            (unsigned long long)r->address);
    return ERR_NOTSUP;
}

void power_reboot(void)
{
    /* 1. ACPI reset register. */
    if (power_reset_acpi() == 0) {
        power_delay_ms(POWER_SETTLE_MS);
        pr_warn("power: still running after ACPI reset, trying the keyboard controller");
    }
    /* 2. 8042 keyboard controller: pulse the reset line once its input buffer is free. */
    for (uint32_t waited = 0; waited < KBC_WAIT_MS * 100; waited++) {
        if (!(inb(KBC_STATUS_PORT) & KBC_STATUS_INPUT_FULL))
            break;
        udelay(10);
    }
    outb(KBC_STATUS_PORT, KBC_CMD_PULSE_RESET);
    power_delay_ms(POWER_SETTLE_MS);
    /* 3. Reset Control Register: set SYS_RST, then raise RST_CPU. */
    pr_warn("power: still running after keyboard controller reset, trying port 0x%x",
            RST_CNT_PORT);
    outb(RST_CNT_PORT, RST_CNT_SYS_RST);
    udelay(50);
    outb(RST_CNT_PORT, RST_CNT_SYS_RST | RST_CNT_RST_CPU);
    power_delay_ms(POWER_SETTLE_MS);
    /* 4. Triple fault: an empty IDT turns the next exception into a shutdown. */
    pr_warn("power: still running after port 0x%x reset, forcing a triple fault",
            RST_CNT_PORT);
    static const struct cpu_idt_ptr empty_idt = { 0, 0 };
    cpu_cli();
    cpu_lidt(&empty_idt);
    __builtin_trap();
}

void power_qemu_exit(int code)
{
    /* QEMU's isa-debug-exit ends the process with (value << 1) | 1; without
     * the device the write goes nowhere and we power off instead. */
    outb(POWER_QEMU_EXIT_PORT, (uint8_t)code);
    power_delay_ms(10);
    power_off();
}

void power_init(void)
{
    int rc = acpi_init();
    if (rc == 0)
        rc = acpi_get_power_info(&power_state.info);
    power_state.have_acpi = rc == 0;
    if (!power_state.have_acpi)
        pr_warn("power: no usable ACPI tables (%s), power off will use QEMU/Bochs defaults",
                err_name(rc));
    else if (!power_state.info.has_s5)
        pr_warn("power: no \\_S5_ found, power off will use SLP_TYP 0");
}

static int cmd_poweroff(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return shell_error("poweroff: takes no arguments (%d given)", argc - 1);
    power_off();
}

static int cmd_reboot(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return shell_error("reboot: takes no arguments (%d given)", argc - 1);
    power_reboot();
}

static const struct shell_cmd power_cmds[] = {
    { "poweroff", "", "turn the machine off (ACPI S5)", cmd_poweroff },
    { "reboot", "", "reset the machine", cmd_reboot },
};

void power_register_commands(void)
{
    int rc = shell_register(power_cmds, ARRAY_SIZE(power_cmds));
    if (rc != 0)
        pr_err("power: shell: cannot register commands (%s)", err_name(rc));
}
