using System.Diagnostics;
using Meshway.DataPlane.Metrics;
using Meshway.Routing.Hosts;
using Meshway.Routing.Matching;
using Meshway.Routing.Model;

namespace Meshway.DataPlane.Tests.Metrics;

public sealed class GatewayMetricsTests
{
    private static readonly ListenerModel Listener = new("default", "gw", "http", null, HostnameTable<RouteTable>.Empty);

    [Fact]
    public void RequestsTotal_CountsPerLabelSet_WithEscapedValues()
    {
        var metrics = new GatewayMetrics();
        var route = new RouteRef("HTTPRoute", "default", "web");
        metrics.RequestCompleted(Listener, route, "default/echo:80", 200, 0);
        metrics.RequestCompleted(Listener, new RouteRef("HTTPRoute", "default", "web"), "default/echo:80", 200, 0);
        metrics.RequestCompleted(Listener, route, "weird\"name\\x", 503, 0);
        metrics.RequestCompleted(null, null, null, 404, 0);

        var text = metrics.WritePrometheus();

        Assert.Contains("# TYPE meshway_requests_total counter\n", text);
        Assert.Contains("meshway_requests_total{gateway=\"default/gw\",route=\"default/web\",backend=\"default/echo:80\",code=\"200\"} 2\n", text);
        Assert.Contains("meshway_requests_total{gateway=\"default/gw\",route=\"default/web\",backend=\"weird\\\"name\\\\x\",code=\"503\"} 1\n", text);
        Assert.Contains("meshway_requests_total{gateway=\"\",route=\"\",backend=\"\",code=\"404\"} 1\n", text);
    }

    [Fact]
    public void DurationHistogram_IsCumulative_AndCountMatchesInf()
    {
        var metrics = new GatewayMetrics();
        metrics.RequestCompleted(Listener, null, null, 200, Stopwatch.Frequency / 1000 * 3); // 3 ms
        metrics.RequestCompleted(Listener, null, null, 200, Stopwatch.Frequency * 20); // 20 s

        var text = metrics.WritePrometheus();

        Assert.Contains("# TYPE meshway_request_duration_seconds histogram\n", text);
        Assert.Contains("meshway_request_duration_seconds_bucket{le=\"0.0025\"} 0\n", text);
        Assert.Contains("meshway_request_duration_seconds_bucket{le=\"0.005\"} 1\n", text);
        Assert.Contains("meshway_request_duration_seconds_bucket{le=\"10\"} 1\n", text);
        Assert.Contains("meshway_request_duration_seconds_bucket{le=\"+Inf\"} 2\n", text);
        Assert.Contains("meshway_request_duration_seconds_count 2\n", text);
        Assert.Contains("meshway_request_duration_seconds_sum 20.003\n", text);
    }

    [Fact]
    public void GaugesAndCounters_AreRendered()
    {
        var metrics = new GatewayMetrics();
        metrics.ConnectionOpened();
        metrics.ConnectionOpened();
        metrics.ConnectionClosed();
        metrics.ConfigReloaded();
        metrics.ConfigReloadFailed();
        metrics.ListenerBindFailed("127.0.0.1:80");

        var text = metrics.WritePrometheus();

        Assert.Contains("# TYPE meshway_active_connections gauge\nmeshway_active_connections 1\n", text);
        Assert.Contains("meshway_config_reloads_total 1\n", text);
        Assert.Contains("meshway_config_reload_failures_total 1\n", text);
        Assert.Contains("meshway_listener_bind_failures_total{binding=\"127.0.0.1:80\"} 1\n", text);
        // Every sample line is "name{labels} value" or "name value": no blank or malformed lines.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(@"^(# (HELP|TYPE) \w+ .+|\w+(\{.*\})? -?[0-9.e+E-]+)$", line);
        }
    }

    [Fact]
    public void Series_AreBounded()
    {
        var metrics = new GatewayMetrics();
        for (var i = 0; i < GatewayMetrics.MaxRequestSeries + 100; i++)
        {
            metrics.RequestCompleted(Listener, new RouteRef("HTTPRoute", "default", "r" + i), "b", 200, 0);
        }

        var text = metrics.WritePrometheus();
        var series = text.Split('\n').Count(l => l.StartsWith("meshway_requests_total{", StringComparison.Ordinal));
        Assert.Equal(GatewayMetrics.MaxRequestSeries + 1, series);
        Assert.Contains("backend=\"other\",code=\"200\"} 100\n", text);
    }
}
