namespace Siem.Rules.Correlation;

/// <summary>The seven correlation types of the Sigma correlation specification 2.1.</summary>
public enum CorrelationType
{
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    ValuePercentile,
}
