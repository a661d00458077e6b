namespace Siem.Engine.Channels;

/// <summary>What happened to one alert on one channel.</summary>
public sealed record DeliveryOutcome(string AlertId, string Channel, bool Delivered, int Attempts, string? Error, DateTimeOffset At, AlertNotice Notice = AlertNotice.New);
