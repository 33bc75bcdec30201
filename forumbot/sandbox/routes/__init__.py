"""The sandbox's REST route handlers, one group per area of Discord's API (`app`: gateway info,
application and commands; `channels`: channels, messages, threads, reactions, pins; `guilds`:
guilds, members, roles, bans; `interactions`: callbacks and follow-ups). `base` holds what the
groups share; `..rest.RestApi` combines them with the router."""
