/// What `help` prints: one line per command, its usage (`ConsoleVerb.usage`)
/// and what it does. A single `StaticString` so that printing it needs no
/// allocation; a host test checks that it lists every verb's usage.
public enum ConsoleHelp {
    public static let text: StaticString = """
        cpu-offline N                 take CPU N offline, moving its interrupts away
        cpu-online N                  bring CPU N online
        cpus                          CPU states, MPIDRs, exception levels, counts
        irqs                          interrupts per INTID and CPU (/proc/interrupts)
        irq-affinity INTID [CPULIST]  show an SPI's affinity, or set it (CPULIST 0-2,5)
        fire INTID [COUNT]            set an SPI pending COUNT times (default 1)
        vcpus                         guest vCPUs: pCPU, state, interrupts (EL=2)
        vcpu-move DOMAIN.VCPU CPU     move a vCPU and its interrupts to CPU (EL=2)
        policy seed|balanced|load     choose the rebalance policy used on hotplug
        stress SEED EVENTS            random hotplug under an interrupt storm
        check                         check the routing invariants now
        epoch                         close a load epoch now (policy load)
        help                          this list
        exit [STATUS]                 leave with STATUS (0-255, default 0)

        """
}
