# SPDX-License-Identifier: MIT
"""QEMU arguments for USB controllers that several scenarios share.

ICH9_EHCI_UHCI is the q35 machine's ICH9 USB function set at 00:1d: one
EHCI controller (id "usb", so its bus is "usb.0", six ports) at 1d.7 and
its three UHCI companions at 1d.0-1d.2, two ports each (firstport 0, 2, 4).
A full-speed device on an EHCI port goes to a companion (PORTSC PortOwner).

    args = ["-M", "q35", "-m", "256", *ICH9_EHCI_UHCI,
            "-device", "usb-storage,bus=usb.0,port=1,drive=u0"]
"""

ICH9_EHCI_UHCI = (
    "-device", "ich9-usb-ehci1,id=usb,addr=1d.7,multifunction=on",
    "-device", "ich9-usb-uhci1,masterbus=usb.0,firstport=0,addr=1d.0,multifunction=on",
    "-device", "ich9-usb-uhci2,masterbus=usb.0,firstport=2,addr=1d.1,multifunction=on",
    "-device", "ich9-usb-uhci3,masterbus=usb.0,firstport=4,addr=1d.2,multifunction=on",
)
