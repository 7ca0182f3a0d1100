// Program otelcol-its is the OpenTelemetry Collector distribution of its-telemetry: exactly the
// components monitoring/opentelemetry/otel-collector.yaml uses, plus the debug and file exporters
// for tests. Written by hand in the shape the OpenTelemetry Collector Builder (ocb) v0.161.0
// generates (components.go + main.go + main_others.go in one file); every collector module is
// pinned to release v0.161.0 / v1.67.0 in go.mod, the release of the compose image
// otel/opentelemetry-collector-contrib:0.161.0.
package main

import (
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	envprovider "go.opentelemetry.io/collector/confmap/provider/envprovider"
	fileprovider "go.opentelemetry.io/collector/confmap/provider/fileprovider"
	httpprovider "go.opentelemetry.io/collector/confmap/provider/httpprovider"
	httpsprovider "go.opentelemetry.io/collector/confmap/provider/httpsprovider"
	yamlprovider "go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	otelconftelemetry "go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	debugexporter "go.opentelemetry.io/collector/exporter/debugexporter"
	otlpexporter "go.opentelemetry.io/collector/exporter/otlpexporter"
	otlphttpexporter "go.opentelemetry.io/collector/exporter/otlphttpexporter"
	batchprocessor "go.opentelemetry.io/collector/processor/batchprocessor"
	memorylimiterprocessor "go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	otlpreceiver "go.opentelemetry.io/collector/receiver/otlpreceiver"

	fileexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	prometheusexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	healthcheckextension "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	attributesprocessor "github.com/open-telemetry/opentelemetry-collector-contrib/processor/attributesprocessor"
	redactionprocessor "github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	tailsamplingprocessor "github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
)

// Release of every collector module in go.mod (core v1.67.0 / v0.161.0, contrib v0.161.0).
const release = "0.161.0"

const (
	core    = "go.opentelemetry.io/collector/"
	contrib = "github.com/open-telemetry/opentelemetry-collector-contrib/"
)

func main() {
	info := component.BuildInfo{
		Command:     "otelcol-its",
		Description: "its-telemetry OpenTelemetry Collector distribution (tools/otelcol)",
		Version:     release,
	}

	set := otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					httpprovider.NewFactory(),
					httpsprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
		ProviderModules: map[string]string{
			envprovider.NewFactory().Create(confmap.ProviderSettings{}).Scheme():   core + "confmap/provider/envprovider v1.67.0",
			fileprovider.NewFactory().Create(confmap.ProviderSettings{}).Scheme():  core + "confmap/provider/fileprovider v1.67.0",
			httpprovider.NewFactory().Create(confmap.ProviderSettings{}).Scheme():  core + "confmap/provider/httpprovider v1.67.0",
			httpsprovider.NewFactory().Create(confmap.ProviderSettings{}).Scheme(): core + "confmap/provider/httpsprovider v1.67.0",
			yamlprovider.NewFactory().Create(confmap.ProviderSettings{}).Scheme():  core + "confmap/provider/yamlprovider v1.67.0",
		},
		ConverterModules: []string{},
	}

	if err := otelcol.NewCommand(set).Execute(); err != nil {
		// cobra has already printed the error; do not print it twice.
		os.Exit(1)
	}
}

type aliasProvider interface{ DeprecatedAlias() component.Type }

// makeModulesMap also records the module of a factory's deprecated alias (as ocb does).
func makeModulesMap[T component.Factory](factories map[component.Type]T, modules map[component.Type]string) map[component.Type]string {
	for compType, factory := range factories {
		if ap, ok := any(factory).(aliasProvider); ok {
			alias := ap.DeprecatedAlias()
			if alias.String() != "" {
				modules[alias] = modules[compType]
			}
		}
	}
	return modules
}

func components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{
		Telemetry: otelconftelemetry.NewFactory(),
	}

	factories.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		healthcheckextension.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExtensionModules = makeModulesMap(factories.Extensions, map[component.Type]string{
		healthcheckextension.NewFactory().Type(): contrib + "extension/healthcheckextension v" + release,
	})

	factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ReceiverModules = makeModulesMap(factories.Receivers, map[component.Type]string{
		otlpreceiver.NewFactory().Type(): core + "receiver/otlpreceiver v" + release,
	})

	factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlpexporter.NewFactory(),
		otlphttpexporter.NewFactory(),
		prometheusexporter.NewFactory(),
		debugexporter.NewFactory(),
		fileexporter.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExporterModules = makeModulesMap(factories.Exporters, map[component.Type]string{
		otlpexporter.NewFactory().Type():       core + "exporter/otlpexporter v" + release,
		otlphttpexporter.NewFactory().Type():   core + "exporter/otlphttpexporter v" + release,
		prometheusexporter.NewFactory().Type(): contrib + "exporter/prometheusexporter v" + release,
		debugexporter.NewFactory().Type():      core + "exporter/debugexporter v" + release,
		fileexporter.NewFactory().Type():       contrib + "exporter/fileexporter v" + release,
	})

	factories.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
		attributesprocessor.NewFactory(),
		redactionprocessor.NewFactory(),
		tailsamplingprocessor.NewFactory(),
		batchprocessor.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ProcessorModules = makeModulesMap(factories.Processors, map[component.Type]string{
		memorylimiterprocessor.NewFactory().Type(): core + "processor/memorylimiterprocessor v" + release,
		attributesprocessor.NewFactory().Type():    contrib + "processor/attributesprocessor v" + release,
		redactionprocessor.NewFactory().Type():     contrib + "processor/redactionprocessor v" + release,
		tailsamplingprocessor.NewFactory().Type():  contrib + "processor/tailsamplingprocessor v" + release,
		batchprocessor.NewFactory().Type():         core + "processor/batchprocessor v" + release,
	})

	// No connectors: the shipped config uses none.
	factories.Connectors, err = otelcol.MakeFactoryMap[connector.Factory]()
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ConnectorModules = map[component.Type]string{}

	return factories, nil
}
