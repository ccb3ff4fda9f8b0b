/**
 * Transport stream packet layout (ISO 13818-1 §2.4.3.2, §2.4.3.4).
 */

/** Every transport packet is 188 bytes and starts with sync_byte 0x47 (§2.4.3.2). */
export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** sync_byte, TEI/PUSI/priority/PID, scrambling/adaptation_field_control/continuity_counter. */
export const TS_HEADER_SIZE = 4;
/** Payload bytes in a packet without adaptation field. */
export const TS_MAX_PAYLOAD = TS_PACKET_SIZE - TS_HEADER_SIZE;
/** PIDs are 13 bits; 0x0000–0x000F and 0x1FFF are reserved (Table 2-3). */
export const MAX_PID = 0x1fff;
export const NULL_PID = 0x1fff;
