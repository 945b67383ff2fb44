"""The durable satisfaction-callback (回访) jobs: one survey per order and closure cycle, dialled in
the calling windows, retried by the pure policy in `worksheet.callbacks`, shared safely between nodes."""
